#!/usr/bin/env bash
# A stand-in for the site's genJob.sh, for the demo workflow: run in the InjSigTimeCal folder with the day
# (YYMMDD) and the number of runs. Like the real one it makes the day's folder, writes one job-option file
# rec<run>_1.txt per run, "submits" each ("1 job(s) submitted to cluster <id>"), prints "Total = <n> files" and
# finally DONE; if the folder exists it prints "ERROR: <day> exists" and no DONE. The "cluster" is a background
# process in its own session (it outlives this script, as cluster jobs outlive genJob.sh) that writes the six
# files of each run over a few seconds.
#   gen-job.sh <yymmdd> <runs> [simulate_anomaly: true|false]   (true: the "cluster" also writes Interval_run0.png,
#   the sign of abnormal data)
set -euo pipefail

day=${1:?usage: gen-job.sh <yymmdd> <runs> [true|false]}
runs=${2:?usage: gen-job.sh <yymmdd> <runs> [true|false]}
anomaly=${3:-false}
if ! [[ $day =~ ^[0-9]{6}$ ]]; then echo "ERROR: bad date $day" >&2; exit 2; fi
if ! [[ $runs =~ ^[0-9]+$ ]] || (( runs < 1 || runs > 20 )); then echo "ERROR: runs must be 1 to 20" >&2; exit 2; fi
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

if [ -e "$day" ]; then
  echo "ERROR: $day exists"
  exit 0
fi
mkdir -- "$day"
echo "Reading /bes3fs/offline/data/cal/round18/$day (simulated)"

run_numbers=()
for (( i = 1; i <= runs; i++ )); do
  run=$(( 85000 + 10#${day:4:2} * 20 + i ))
  run_numbers+=("$run")
  cat > "$day/rec${run}_1.txt" <<JOB
// job options for run $run of $day (simulated)
#include "\$ROOTIOROOT/share/jobOptions_ReadRec.txt"
EventCnvSvc.digiRootInputFile = {"run_00${run}_All_file001_SFO-M.raw"};
JOB
  echo "1 job(s) submitted to cluster $(( 60726900 + i ))."
done
echo "Total = $runs files"

setsid bash "$here/simulate-jobs.sh" "$day" "$anomaly" "${run_numbers[@]}" </dev/null >/dev/null 2>&1 &
echo "DONE"
