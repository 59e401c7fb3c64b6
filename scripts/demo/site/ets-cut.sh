#!/usr/bin/env bash
# ETS_cut/a.out <hist folder> <run> (stage 5, ETS_cut): finds the run's noisy periods (seconds in the run) and writes
# shield_run<run>.txt (`run lo1 hi1 lo2 hi2`), run<run>.root, run<run>_cut.png (MDC) and run<run>_total.png (EMC) in
# ETS_cut/. A run of abnormal_runs is one the algorithm gives up on: its shield file holds only the run number and
# run<run>_cut.png is stamped "abnormal" / "Too many windows".
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

hist=${1:-} run=${2:-}
site_need_hist "$hist" "$run"
site_job_fails 5 "$run" && exit 1
echo "ETS_cut: run $run"
site_pause
stamp=()
if site_listed abnormal_runs "$run"; then
  echo "run $run: abnormal: Too many windows"
  windows=$run stamp=('Too many windows')
else
  windows=$(awk -v run="$run" 'BEGIN { printf "%s %.1f %.1f %.1f %.1f\n", run, 10 + run % 50, 11.5 + run % 50,
    120 + run % 30, 120.8 + run % 30 }')
  echo "run $run: cut $windows"
fi
echo "$windows" | site_put "$site_here/shield_run$run.txt"
site_write_root "$site_here/run$run.root" "ETS_cut of run $run" "$windows"
site_plot "$site_here/run${run}_cut.png" "ETS cut (MDC) run $run" "$run" 1 "${stamp[@]}"
site_plot "$site_here/run${run}_total.png" "ETS total (EMC) run $run" "$((run + 1))" 1
