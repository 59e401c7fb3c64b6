#!/usr/bin/env bash
# A stand-in for the site's genJob.sh, for the demo workflow: run in the InjSigTimeCal folder with the day
# (YYMMDD) and the number of runs. Like the real one it makes the day's folder, writes one job-option file
# rec<run>_1.txt per run, submits a job for each with hep_sub (which prints "1 job(s) submitted to cluster <id>"),
# prints "Total = <n> files" and finally DONE; if the folder exists it prints "ERROR: <day> exists" and no DONE.
# Each job is simulate-jobs.sh for one run, in the day's folder, its stdout and stderr the run's .bosslog and
# .bosserr as BOSS jobs have them; the jobs outlive this script, as cluster jobs outlive genJob.sh.
#   gen-job.sh <yymmdd> <runs> [simulate_anomaly: true|false]   (true: the jobs also write Interval_run0.png,
#   the sign of abnormal data)
# The cluster (the stand-in tools of cluster/, see cluster/sim-cluster.sh) is .cluster/ next to the day folders:
# links to the tools, which then keep their state in .cluster/.state (SIM_CLUSTER_DIR overrides). So every work
# folder, and so every server of the demo, has a cluster of its own, which its tools find with no environment:
# .cluster/hep_q lists the jobs, .cluster/hep_rm removes them.
set -euo pipefail

day=${1:?usage: gen-job.sh <yymmdd> <runs> [true|false]}
runs=${2:?usage: gen-job.sh <yymmdd> <runs> [true|false]}
anomaly=${3:-false}
if ! [[ $day =~ ^[0-9]{6}$ ]]; then echo "ERROR: bad date $day" >&2; exit 2; fi
if ! [[ $runs =~ ^[0-9]+$ ]] || (( runs < 1 || runs > 20 )); then echo "ERROR: runs must be 1 to 20" >&2; exit 2; fi
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cluster=$PWD/.cluster

if [ -e "$day" ]; then
  echo "ERROR: $day exists"
  exit 0
fi
mkdir -- "$day"
echo "Reading /bes3fs/offline/data/cal/round18/$day (simulated)"
state=${SIM_CLUSTER_DIR:-$cluster/.state}
mkdir -p -- "$cluster" "$state"
ln -sf -- "$here"/cluster/* "$cluster/"
# a new cluster numbers its jobs the way IHEP's did once
[ -e "$state/config" ] || echo 'first_cluster=60726901' > "$state/config"

for (( i = 1; i <= runs; i++ )); do
  run=$(( 85000 + 10#${day:4:2} * 20 + i ))
  cat > "$day/rec${run}_1.txt" <<JOB
// job options for run $run of $day (simulated)
#include "\$ROOTIOROOT/share/jobOptions_ReadRec.txt"
EventCnvSvc.digiRootInputFile = {"run_00${run}_All_file001_SFO-M.raw"};
JOB
  (cd -- "$day" && "$cluster/hep_sub" -g physics -o "rec${run}_1.txt.bosslog" -e "rec${run}_1.txt.bosserr" \
    "$here/simulate-jobs.sh" "$anomaly" "$run")
done
echo "Total = $runs files"
echo "DONE"
