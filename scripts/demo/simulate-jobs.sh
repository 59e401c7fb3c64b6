#!/usr/bin/env bash
# The demo's "cluster": writes the six output files of each run into the day's folder, one file at a time with a
# short pause, the way finished jobs drop their files. Each file is written under a temporary name and renamed,
# so a poller never sees half a file.
#   simulate-jobs.sh <day folder> <anomaly: true|false> <run>...
set -euo pipefail
dir=$1
anomaly=$2
shift 2
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
step_seconds=${DEMO_STEP_SECONDS:-0.5}

# the pid lets a person (or a test) stop the "cluster" early: kill -- -"$(cat .cluster.pid)"
echo "$$" > "$dir/.cluster.pid"
trap 'rm -f -- "$dir/.cluster.pid"' EXIT

put() { # put <name>  (content on stdin)
  cat > "$dir/.$1.part"
  mv -- "$dir/.$1.part" "$dir/$1"
}

sleep "$step_seconds"
for run in "$@"; do : > "$dir/rec${run}_1.txt.bosserr"; done
sleep "$step_seconds"
for run in "$@"; do
  printf '%s\n' "BOSS version 7.2.0, run $run" 'ApplicationMgr       INFO Application Manager Finalized successfully' \
    'ApplicationMgr       INFO Application Manager Terminated successfully' | put "rec${run}_1.txt.bosslog"
  sleep "$step_seconds"
done
for run in "$@"; do
  printf 'root file of run %s (simulated)\n' "$run" | put "InjSigTime_00${run}_720.root"
  sleep "$step_seconds"
done
for run in "$@"; do
  printf '%s\n' "run $run" 'interval_From_DB = 15000000' 'interval_before_sorting = 15000000' \
    'interval_after_sorting = 15000000' | put "Interval_run${run}.txt"
  if [ "$anomaly" = true ]; then base64 -d < "$here/interval-plot.png.b64" | put Interval_run0.png; fi
  base64 -d < "$here/interval-plot.png.b64" | put "Interval_run${run}.png"
  sleep "$step_seconds"
done
