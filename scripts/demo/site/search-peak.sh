#!/usr/bin/env bash
# search_peak/a.out <hist folder> <run> (stage 3, Search_peak): reads hist<run>.root and the run's interval in
# InjSigTimeCal/interval.txt. A non-topup run (15000000) gets a shield_run<run>.txt holding only the run number; a
# topup run gets its 50 Hz windows, `run  lo1 hi1  lo2 hi2 ...` (ms after the injection: the main window and three
# noise windows 20 ms apart), and a detail plot run<run>.root. Written in search_peak/.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

hist=${1:-} run=${2:-}
site_need_hist "$hist" "$run"
site_job_fails 3 "$run" && exit 1
site_interval_of interval "$run" || site_fail "ERROR: run $run is not in $site_ist/interval.txt"
echo "Search_peak: run $run, interval $interval"
site_pause
if [ "$interval" = "$site_non_topup" ]; then
  echo "run $run: non-topup run, nothing to shield"
  echo "$run" | site_put "$site_here/shield_run$run.txt"
  exit 0
fi
windows=$(awk -v run="$run" 'BEGIN {
  printf "%s  %.2f  %.2f", run, 0.30 + (run % 7) * 0.05, 4.00 + (run % 3) * 0.10
  for (k = 1; k <= 3; k++) printf "  %.2f %.2f", k * 20 + 1.80 + (run % 4) * 0.05, k * 20 + 2.40
  print "" }')
site_write_root "$site_here/run$run.root" "Search_peak detail of run $run" "$windows"
echo "$windows" | site_put "$site_here/shield_run$run.txt"
echo "run $run: windows $windows"
