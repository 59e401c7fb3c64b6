#!/usr/bin/env bash
# The demo's cluster job for one run, run by the stand-in cluster in the day's folder: prints the run's BOSS log
# (the job's stdout is rec<run>_1.txt.bosslog) and writes its other output files, one at a time with a short pause,
# the way a job drops its files. Each file is written under a temporary name and renamed, so a poller never sees
# half a file.
#   simulate-jobs.sh <anomaly: true|false> <run>   (true: also Interval_run0.png, the sign of abnormal data)
set -euo pipefail
anomaly=$1
run=$2
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
step_seconds=${DEMO_STEP_SECONDS:-0.5}

put() { # put <name>  (content on stdin)
  cat > ".$1.part.$$"
  mv -- ".$1.part.$$" "$1"
}

sleep "$step_seconds"
echo "BOSS version 7.2.0, run $run"
sleep "$step_seconds"
printf '%s\n' 'ApplicationMgr       INFO Application Manager Finalized successfully' \
  'ApplicationMgr       INFO Application Manager Terminated successfully'
printf 'root file of run %s (simulated)\n' "$run" | put "InjSigTime_00${run}_720.root"
sleep "$step_seconds"
printf '%s\n' "run $run" 'interval_From_DB = 15000000' 'interval_before_sorting = 15000000' \
  'interval_after_sorting = 15000000' | put "Interval_run${run}.txt"
if [ "$anomaly" = true ]; then base64 -d < "$here/interval-plot.png.b64" | put Interval_run0.png; fi
base64 -d < "$here/interval-plot.png.b64" | put "Interval_run${run}.png"
