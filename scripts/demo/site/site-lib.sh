# shellcheck shell=bash
# The simulated BESIII site's shared code, sourced by every program of this folder once install-site.sh has copied
# them to <root>/site/programs/ (the site's genJob.sh, a.out, rootmove.sh … are links to them, so a program knows
# its role by the folder it is called in). Settings: <root>/site/site.conf, `name=value` a line, read at every call
# (environment variables do not cross ssh):
#   round, boss           the round (round18) and BOSS version (7.2.0) the site was installed for
#   step_seconds          the pace of the jobs: pauses between the pieces of output a job writes (and the scripts'
#                         own `sleep 1`), 0.05 unless set
#   root_pause_seconds    how long a job pauses between the two pieces of a ROOT file it writes (0.2)
#   fail_jobs             stage:run,... whose jobs fail (exit 1, no output files; stage 2: the run's first job)
#   abnormal_runs         runs whose ETS-cut plot (stage 5) is stamped "abnormal" and whose ETS cut is empty
#   abnormal_days         days whose stage-1 jobs also write Interval_run0.png (the sign of abnormal data)
#   topup_runs            runs taken in top-up mode: interval 20000000 instead of 15000000 (non-topup)
#   node                  the node binary that draws the plots and merges them
# Nothing read from a file or an argument is ever evaluated as shell code.

set -uo pipefail
shopt -s nullglob

site_programs=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
site_root=${site_programs%/site/programs}
site_conf=$site_root/site/site.conf
# the program that sourced this file, as it was called (a link of the site's folders): its folder tells its role
site_here=$(cd -- "$(dirname -- "${BASH_SOURCE[1]}")" && pwd)
site_self=$site_here/${BASH_SOURCE[1]##*/}

site_fail() {
  printf '%s\n' "$*" >&2
  exit 1
}

declare -A site_setting=([round]=round18 [boss]=7.2.0 [step_seconds]=0.05 [root_pause_seconds]=0.2 [fail_jobs]=
  [abnormal_runs]= [abnormal_days]= [topup_runs]= [node]=node)
site_read_settings() {
  local line name
  [ -e "$site_conf" ] || site_fail "$site_conf: missing (install the site with install-site.sh)"
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ $line =~ ^([a-z_]+)=(.*)$ ]] || site_fail "$site_conf: \"$line\" is no name=value line"
    name=${BASH_REMATCH[1]}
    [[ -v site_setting[$name] ]] || site_fail "$site_conf: unknown setting $name"
    site_setting[$name]=${BASH_REMATCH[2]}
  done < "$site_conf"
  for name in step_seconds root_pause_seconds; do
    [[ ${site_setting[$name]} =~ ^[0-9]{1,4}(\.[0-9]{1,6})?$ ]] || site_fail "$site_conf: $name is no number of seconds"
  done
  [[ ${site_setting[round]} =~ ^round[0-9]+$ && ${site_setting[boss]} =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    site_fail "$site_conf: round or boss is malformed"
}
site_read_settings

site_round=${site_setting[round]}
site_boss=${site_setting[boss]}
site_bosse=${site_boss//./}
site_step=${site_setting[step_seconds]}
site_data=$site_root/bes3fs/offline/data/cal/$site_round
site_base=$site_root/besfs5/groups/cal/topup/$site_round/DataValid
site_ist=$site_base/InjSigTimeCal
site_hist=$site_base/hist
site_search_peak=$site_base/Determining_50Hz_cut/search_peak
site_ets_cut=$site_base/Determining_ETS_cut/ETS_cut
site_oef=$site_base/sub_database/OfflineEvtFilter
site_afs=$site_root/afs/ihep.ac.cn/bes3/offline/CalibConst/OfflineEvtFilter
site_log=$site_root/site/calls.log
site_database=$site_root/site/database.txt

site_listed() { # <setting> <item>: true when the comma-separated setting lists the item
  [[ ,${site_setting[$1]}, == *,"$2",* ]]
}

site_pause() { sleep "$site_step"; }

site_record() { # <argument>...: a line of calls.log for a step-8 program: the time, its path, the folder, the arguments
  local fields
  # a step-8 program is no job: its ROOT files are written at once
  site_root_pause=0
  printf -v fields '\t%s' "$site_self" "$PWD" "$@"
  fields=${fields//$'\n'/ }
  printf '%s%s\n' "$(date +%FT%T)" "$fields" >> "$site_log"
}

# ---- what jobs write ---------------------------------------------------------------------------------------------

site_put() { # <file>: writes stdin to the file under a temporary name, then renames it (a poller never sees half)
  local dir=${1%/*}
  [[ $1 == */* ]] || dir=.
  cat > "$dir/.${1##*/}.part.$$" && mv -f -- "$dir/.${1##*/}.part.$$" "$1"
}

site_root_end='END OF FILE (simulated ROOT file)'
site_root_pause=${site_setting[root_pause_seconds]} # programs that are no jobs set it to 0
site_write_root() { # <file> <what> [line...]: a ROOT file in two pieces, site_root_pause apart (its size grows)
  local file=$1 what=$2 pad
  shift 2
  printf -v pad '%*s' 4000 ''
  { printf 'root\n%s (simulated)\n' "$what"; printf '%s\n' "$@" "${pad// /.}"; } > "$file"
  sleep "$site_root_pause"
  printf '%s\n%s\n' "${pad// /:}" "$site_root_end" >> "$file"
}

site_root_complete() { # <file>: true when the file is a complete (simulated) ROOT file, its head and its end
  local first= last=
  [ -f "$1" ] && IFS= read -r first < "$1" && last=$(tail -n 1 -- "$1") && [[ $first == root && $last == "$site_root_end" ]]
}

site_plot() { # <png> <title> <seed> <panels> [stamp line...]: draws a plot (stamped "abnormal" with the lines)
  "${site_setting[node]}" "$site_programs/plot-png.mjs" "$@"
}

site_job_fails() { # <stage> <run>: true (with the job's error printed) when the settings make this job fail
  site_listed fail_jobs "$1:$2" || return 1
  echo "FATAL: stage $1 job of run $2 failed (simulated by fail_jobs in $site_conf)" >&2
}

site_fill() { # <variable> <template> <name> <value> [<name> <value>...]: each placeholder replaced; values are not re-read
  local __text=$2 __out= __i __at __best __before
  local -a __pairs=("${@:3}")
  while :; do
    __best=-1 __at=-1
    for ((__i = 0; __i < ${#__pairs[@]}; __i += 2)); do
      [[ $__text == *"${__pairs[__i]}"* ]] || continue
      __before=${__text%%"${__pairs[__i]}"*}
      if ((__at < 0 || ${#__before} < __at)); then __at=${#__before} __best=$__i; fi
    done
    ((__best >= 0)) || break
    __out+=${__text:0:__at}${__pairs[__best + 1]}
    __text=${__text:__at + ${#__pairs[__best]}}
  done
  printf -v "$1" '%s' "$__out$__text"
}

# ---- the raw data of a day, as the genJob.sh of stages 1 and 2 read it ------------------------------------------
# the files <data>/<date>/*.raw, the run being characters 6 to 10 of a file's name (run_0050021_All_file001_SFO-M.raw)

site_day_folder() { # <date>: a genJob.sh's argument checked, in its folder; refuses (exit 0, no DONE) a day there already
  [[ ${1:-} =~ ^[0-9]{6}$ ]] || site_fail "usage: ./genJob.sh <date, YYMMDD>"
  cd -- "$site_here" || exit 1
  if [ -e "$1" ]; then
    echo "ERROR: $1 exists"
    exit 0
  fi
}

site_runs=()
declare -A site_run_files=() site_run_count=()
site_raw_files=()
site_file_count=0
site_raw_runs() { # <date>: fills site_raw_files (sorted), site_runs (in order), site_run_files[run] ("a","b"), site_run_count[run]
  local file name run
  site_raw_files=("$site_data/$1"/*.raw)
  ((${#site_raw_files[@]})) || echo "ls: cannot access '$site_data/$1/*.raw': No such file or directory" >&2
  for file in "${site_raw_files[@]}"; do
    name=${file##*/}
    run=${name:6:5}
    [[ $run =~ ^[0-9]{5}$ ]] || site_fail "ERROR: $file: no run number in the name (run_00NNNNN_...)"
    if [[ -z ${site_run_count[$run]:-} ]]; then
      site_runs+=("$run")
      site_run_count[$run]=0
      site_run_files[$run]=
    fi
    site_run_files[$run]+=${site_run_files[$run]:+,}\"$file\"
    site_run_count[$run]=$((site_run_count[$run] + 1))
  done
  site_file_count=${#site_raw_files[@]}
}

# ---- what the site's files say -----------------------------------------------------------------------------------

site_interval_of() { # <variable> <run>: the run's interval in InjSigTimeCal/interval.txt (fails when it has none)
  local __run __value
  [ -e "$site_ist/interval.txt" ] || return 1
  while read -r __run __value _; do
    if [ "$__run" = "$2" ] && [[ $__value =~ ^[0-9]+$ ]]; then
      printf -v "$1" '%s' "$__value"
      return 0
    fi
  done < "$site_ist/interval.txt"
  return 1
}

site_non_topup=15000000

site_line_of() { # <variable> <file> <run>: the file's first line of the run ("run value value ..."), else fails
  local __line __first
  [ -e "$2" ] || return 1
  while IFS= read -r __line; do
    read -r __first _ <<< "$__line"
    if [ "$__first" = "$3" ]; then
      printf -v "$1" '%s' "$__line"
      return 0
    fi
  done < "$2"
  return 1
}

site_need_run() { # <run>: fails as a program given a bad run number
  [[ $1 =~ ^[0-9]{5}$ ]] || site_fail "ERROR: \"$1\" is no run number"
}

site_need_hist() { # <hist folder> <run>: fails as a ROOT program does when the run's histogram file is missing
  local file=${1%/}/hist$2.root
  site_need_run "$2"
  site_root_complete "$file" || site_fail "Error in <TFile::TFile>: file $file does not exist or is not a complete ROOT file"
}
