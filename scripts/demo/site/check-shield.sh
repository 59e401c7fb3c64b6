#!/usr/bin/env bash
# checkShieldCalib/a.out <hist folder> <run> (stage 4, checkCalibConst): a non-topup run (15000000 in interval.txt)
# prints "This is a non-topup run" and draws nothing; a topup run's windows are read from search_peak/window.dat
# (so an edit of window.dat changes the result), the removed fraction printed and four plots drawn in
# checkShieldCalib/: run<run>_cut_detail.png, run<run>_after_cut.png, run<run>_before_cut.png, run<run>_check.png.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

hist=${1:-} run=${2:-}
site_need_hist "$hist" "$run"
site_job_fails 4 "$run" && exit 1
site_interval_of interval "$run" || site_fail "ERROR: run $run is not in $site_ist/interval.txt"
if [ "$interval" = "$site_non_topup" ]; then
  echo "This is a non-topup run"
  exit 0
fi
site_line_of windows "$site_search_peak/window.dat" "$run" || site_fail "ERROR: run $run has no line in $site_search_peak/window.dat"
site_pause
# the windows' share of the injection period (interval/250000 ms), as the fraction of events removed
awk -v period="$((interval / 250000))" '{ for (i = 2; i + 1 <= NF; i += 2) width += $(i + 1) - $i
  removed = int(1000000 * width / period)
  printf "remove ratio = %.2f%%\nremove_num/TotalEvent = %d/1000000\nnum_5k_Incut/num_5k_total = %d/5000\n",
    100 * width / period, removed, 5000 - int(removed / 200) }' <<< "$windows"
for plot in cut_detail after_cut before_cut check; do
  site_plot "$site_here/run${run}_$plot.png" "$plot run $run" "$run" 1
done
