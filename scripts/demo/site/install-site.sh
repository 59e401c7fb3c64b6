#!/usr/bin/env bash
# Installs a simulated BESIII site under <root>, laid out as the real one (stages.md, "Shared facts"), on which the
# whole daily chain (stages 1 to 7 and the step-8 upload) runs with the site's own commands:
#   install-site.sh <root> [--round R] [--days D1,D2,...] [--runs N] [--files N] [--step-seconds S]
#                   [--root-pause-seconds S] [--fail-job STAGE:RUN]... [--abnormal-run RUN]...
#                   [--abnormal-day DAY]... [--topup-run RUN]...
#   --round          the round (round18)
#   --days           the days with raw data (250624); each gets --runs runs (4) of --files raw files each (2),
#                    the runs numbered by the date: 10000 + 20 * (days since 2020-01-01) + 1..N, so that later days
#                    have later runs
#   --step-seconds   the pace of the simulated jobs (0.05): pauses between the pieces of output a job writes
#   --root-pause-seconds  a job's pause between the two pieces of a ROOT file (0.2)
#   --fail-job       that stage's job of that run fails (exit 1, no output file; stage 2: the run's first job)
#   --abnormal-run   stage 5's run<run>_cut.png stamped "abnormal" / "Too many windows", the run's ETS cut empty
#   --abnormal-day   stage 1's jobs of that day also write Interval_run0.png (the sign of abnormal data)
#   --topup-run      a run taken in top-up mode (interval 20000000; every other run is non-topup, 15000000)
# The settings go to <root>/site/site.conf, which the site's programs read at every call (edit it to change a
# running site). Installing again over a site renews its programs, scripts and settings and adds the raw data of
# new days; what the chain wrote (day folders, cumulative files, the cluster's jobs) stays.
# Under <root>: bes3fs/ (raw data), besfs5/ (the work area), afs/ (the database folders of step 8), cvmfs/
# (hep_container, and the stand-in cluster's tools in common.ihep.ac.cn/software/hepjob/bin), w720 (the BOSS
# environment: source it) and site/ (the simulation: settings, programs, calls.log of step 8, database.txt).
set -euo pipefail
shopt -s nullglob

usage() {
  echo "usage: install-site.sh <root> [--round R] [--days D1,D2,...] [--runs N] [--files N] [--step-seconds S]" \
    "[--root-pause-seconds S] [--fail-job STAGE:RUN]... [--abnormal-run RUN]... [--abnormal-day DAY]..." \
    "[--topup-run RUN]..." >&2
  exit 2
}
bad() {
  echo "install-site.sh: $*" >&2
  exit 2
}

(($# >= 1)) && [[ $1 != -* ]] || usage
root=$1
shift
round=round18 days=250624 runs=4 files=2 step=0.05 root_pause=0.2
fail_jobs=() abnormal_runs=() abnormal_days=() topup_runs=()
seconds='^[0-9]{1,4}(\.[0-9]{1,6})?$'
while (($#)); do
  (($# >= 2)) || usage
  case $1 in
    --round) [[ $2 =~ ^round[0-9]+$ ]] || bad "--round: \"$2\" is no round (round18)"; round=$2 ;;
    --days) [[ $2 =~ ^[0-9]{6}(,[0-9]{6})*$ ]] || bad "--days: \"$2\" is no list of days (250623,250624)"; days=$2 ;;
    --runs) [[ $2 =~ ^[0-9]+$ ]] && ((10#$2 >= 1 && 10#$2 <= 19)) || bad "--runs: 1 to 19"; runs=$((10#$2)) ;;
    --files) [[ $2 =~ ^[0-9]$ ]] && ((10#$2 >= 1)) || bad "--files: 1 to 9"; files=$2 ;;
    --step-seconds) [[ $2 =~ $seconds ]] || bad "--step-seconds: \"$2\" is no number of seconds"; step=$2 ;;
    --root-pause-seconds) [[ $2 =~ $seconds ]] || bad "--root-pause-seconds: \"$2\" is no number of seconds"; root_pause=$2 ;;
    --fail-job) [[ $2 =~ ^[1-6]:[0-9]{5}$ ]] || bad "--fail-job: \"$2\" is no stage:run (2:50021)"; fail_jobs+=("$2") ;;
    --abnormal-run) [[ $2 =~ ^[0-9]{5}$ ]] || bad "--abnormal-run: \"$2\" is no run"; abnormal_runs+=("$2") ;;
    --abnormal-day) [[ $2 =~ ^[0-9]{6}$ ]] || bad "--abnormal-day: \"$2\" is no day"; abnormal_days+=("$2") ;;
    --topup-run) [[ $2 =~ ^[0-9]{5}$ ]] || bad "--topup-run: \"$2\" is no run"; topup_runs+=("$2") ;;
    *) usage ;;
  esac
  shift 2
done
node=$(command -v node) || bad "node is needed (it draws the plots and merges them into PDFs)"
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
mkdir -p -- "$root"
root=$(cd -- "$root" && pwd)

boss=7.2.0
site=$root/site
programs=$site/programs
base=$root/besfs5/groups/cal/topup/$round/DataValid
afs=$root/afs/ihep.ac.cn/bes3/offline/CalibConst/OfflineEvtFilter
hepjob=$root/cvmfs/common.ihep.ac.cn/software/hepjob/bin
oef=$base/sub_database/OfflineEvtFilter

# the simulation: its programs, the tools on PATH after w720, the container's convert
mkdir -p -- "$programs" "$site/bin" "$site/container" "$hepjob/.state" "$root/cvmfs/container.ihep.ac.cn/bin"
cp -f -- "$here"/*.sh "$here"/*.mjs "$here/../merge-plots.mjs" "$programs/"
rm -f -- "$programs/install-site.sh"
for tool in "$here"/../cluster/*; do cp -f -- "$tool" "$hepjob/"; done
[ -e "$hepjob/.state/config" ] || echo 'first_cluster=60726901' > "$hepjob/.state/config"

join() { local IFS=,; printf '%s' "$*"; }
{
  echo "# settings of the simulated site (see site-lib.sh), read by its programs at every call"
  printf '%s\n' "round=$round" "boss=$boss" "step_seconds=$step" "root_pause_seconds=$root_pause" \
    "fail_jobs=$(join "${fail_jobs[@]}")" "abnormal_runs=$(join "${abnormal_runs[@]}")" \
    "abnormal_days=$(join "${abnormal_days[@]}")" "topup_runs=$(join "${topup_runs[@]}")" "node=$node"
} > "$site/site.conf.new"
mv -f -- "$site/site.conf.new" "$site/site.conf"
{
  echo "# The BOSS $boss environment of the simulated site at $root (it stands in for ~/w720; source it):"
  echo "# the stand-in cluster's tools (hep_sub, boss.condor, hep_q, ...) and BOSS's programs (boss.exe, hadd, root, g++)."
  printf 'export PATH=%q:%q:"$PATH"\n' "$hepjob" "$site/bin"
} > "$root/w720"

# the work area: folders, cumulative files, the site's plain scripts (files/ mirrors DataValid/)
for dir in InjSigTimeCal/calibConst InjSigTimeCal/Interval_plot/tmp InjSigTimeCal/InjSigIntervalCal hist/tmp plot/tmp \
  Determining_50Hz_cut/search_peak/time_final Determining_50Hz_cut/search_peak/raw_shield \
  Determining_50Hz_cut/search_peak/tmp Determining_50Hz_cut/checkShieldCalib/tmp Determining_ETS_cut/ETS_cut/tmp \
  Determining_ETS_cut/ETScutCalibConst Determining_ETS_cut/check_ETScut_CalibConst/tmp \
  sub_database/InjSigInterval/genConst/const_runForm_runTo sub_database/OfflineEvtFilter/duration_caculate \
  sub_database/OfflineEvtFilter/ccompare sub_database/OfflineEvtFilter/check; do
  mkdir -p -- "$base/$dir"
done
for file in InjSigTimeCal/interval.txt Determining_50Hz_cut/search_peak/window.dat Determining_ETS_cut/ETS_cut/ets_cut.txt; do
  [ -e "$base/$file" ] || : > "$base/$file"
done
(cd -- "$here/files" && find . -type f) | while IFS= read -r file; do
  text=$(< "$here/files/$file")
  # the site's own pauses (01go.sh's sleep 1) at the simulation's pace
  printf '%s\n' "${text//sleep 1/sleep $step}" > "$base/$file"
  chmod --reference="$here/files/$file" -- "$base/$file"
done

# the site's programs, each a link to its stand-in (a program knows its role by the folder it is called in)
mkdir -p -- "$afs/InjSigInterval/$boss" "$afs/InjSigTime/$boss/$round" "$afs/OfflineEvtFilter/$boss/$round" \
  "$root/besfs5/users/topup/boss720/workarea/workarea-7.2.0/Analysis/checkDBAlg/checkDBAlg-00-00-00/share"
while read -r program link; do
  ln -sfn -- "$programs/$program" "$link"
done <<LINKS
injsigtime-genjob.sh $base/InjSigTimeCal/genJob.sh
clean-interval.sh $base/InjSigTimeCal/clean_interval.sh
rootmove.sh $base/InjSigTimeCal/calibConst/rootmove.sh
hist-genjob.sh $base/genJob.sh
analysis-genjob.sh $base/Determining_50Hz_cut/search_peak/genJob.sh
search-peak.sh $base/Determining_50Hz_cut/search_peak/a.out
analysis-genjob.sh $base/Determining_50Hz_cut/checkShieldCalib/genJob.sh
check-shield.sh $base/Determining_50Hz_cut/checkShieldCalib/a.out
analysis-genjob.sh $base/Determining_ETS_cut/ETS_cut/genJob.sh
ets-cut.sh $base/Determining_ETS_cut/ETS_cut/a.out
analysis-genjob.sh $base/Determining_ETS_cut/check_ETScut_CalibConst/genJob.sh
check-ets-cut.sh $base/Determining_ETS_cut/check_ETScut_CalibConst/a.out
rootmove.sh $base/sub_database/InjSigInterval/genConst/const_runForm_runTo/rootmove.sh
cp-3files.sh $oef/cp_3files.sh
oef-const.sh $oef/a.out
rootmove.sh $oef/rootmove.sh
duration.sh $oef/duration_caculate/a.out
switched-output.sh $oef/ccompare/a.out
switched-output.sh $oef/check/a.out
gen-insert-cmd.sh $afs/InjSigInterval/$boss/genInsertCmd.sh
gen-insert-cmd.sh $afs/InjSigTime/$boss/$round/genInsertCmd.sh
gen-insert-cmd.sh $afs/OfflineEvtFilter/$boss/$round/genInsertCmd.sh
reset-root.sh $root/besfs5/users/topup/boss720/workarea/workarea-7.2.0/Analysis/checkDBAlg/checkDBAlg-00-00-00/share/reset_root.sh
hep-container.sh $root/cvmfs/container.ihep.ac.cn/bin/hep_container
boss-exe.sh $site/bin/boss.exe
hadd.sh $site/bin/hadd
root.sh $site/bin/root
gxx.sh $site/bin/g++
convert.sh $site/container/convert
LINKS

# the raw data of the days (a day already there is kept as it is)
epoch=$(date -u -d 2020-01-01 +%s)
IFS=, read -ra day_list <<< "$days"
for day in "${day_list[@]}"; do
  stamp=$(date -u -d "20${day:0:2}-${day:2:2}-${day:4:2}" +%s 2> /dev/null) &&
    [ "$(date -u -d "@$stamp" +%y%m%d)" = "$day" ] || bad "--days: $day is no date"
  first=$((10000 + 20 * ((stamp - epoch) / 86400)))
  ((first >= 10000 && first + runs <= 99999)) || bad "--days: $day is out of the site's run numbers (2020 to 2032)"
  dir=$root/bes3fs/offline/data/cal/$round/$day
  if [ ! -d "$dir" ]; then
    mkdir -p -- "$dir.new"
    for ((i = 1; i <= runs; i++)); do
      for ((k = 1; k <= files; k++)); do
        echo "raw data of run $((first + i)), file $k (simulated)" > "$dir.new/run_00$((first + i))_All_file00${k}_SFO-M.raw"
      done
    done
    mv -- "$dir.new" "$dir"
  fi
  found=("$dir"/*.raw)
  echo "day $day: ${#found[@]} raw files, runs ${found[0]:${#dir}+7:5} to ${found[-1]:${#dir}+7:5}"
done
# what a Topup server needs to run the shipped workflows on this site: beslogin is this machine, the workflows'
# site variables point here, and every wait polls at the simulation's pace. Single-quoted values read the same
# when sourced by a shell and when loaded as an env file.
[[ $root != *\'* ]] || bad "the site's folder must not have a ' in its path"
printf '{ "hosts": { "beslogin": { "transport": "local", "hostname": "localhost", "username": "%s" } } }\n' \
  "$(id -un)" > "$root/hosts.json"
{
  echo "# Topup's settings for the simulated site at $root: set -a && . $root/topup.env && set +a && npm start"
  printf "%s='%s'\n" HOSTS_FILE "$root/hosts.json" JOB_POLL_MIN_SECONDS 1 JOB_POLL_MAX_SECONDS 2 JOB_LAG_SECONDS 5 \
    TOPUP_VAR_POLL_SECONDS 0.5 TOPUP_VAR_RAW_DATA_DIR "$root/bes3fs/offline/data/cal/{{ params.round }}" \
    TOPUP_VAR_WORK_AREA "$root/besfs5/groups/cal/topup/{{ params.round }}/DataValid" TOPUP_VAR_ENV_SCRIPT "$root/w720" \
    TOPUP_VAR_HEPJOB_BIN "$hepjob" TOPUP_VAR_CONTAINER_SHELL "$root/cvmfs/container.ihep.ac.cn/bin/hep_container" \
    TOPUP_VAR_AFS_CALIBCONST "$afs" TOPUP_VAR_CHECKDB_SHARE \
    "$root/besfs5/users/topup/boss{{ vars.bosse }}/workarea/workarea-{{ vars.boss }}/Analysis/checkDBAlg/checkDBAlg-00-00-00/share"
} > "$root/topup.env"
echo "site installed at $root ($round, BOSS $boss): source $root/w720 for its tools;" \
  "set -a && . $root/topup.env && set +a && npm start serves it"
