#!/usr/bin/env bash
# check_ETScut_CalibConst/a.out <hist folder> <run> (stage 6, checkCalibConst): applies the run's line of
# ETS_cut/ets_cut.txt (none: nothing removed) and writes run<run>.root and run<run>.png (before / after the cut) in
# check_ETScut_CalibConst/.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

hist=${1:-} run=${2:-}
site_need_hist "$hist" "$run"
site_job_fails 6 "$run" && exit 1
if site_line_of cut "$site_ets_cut/ets_cut.txt" "$run"; then
  echo "run $run: ETS cut $cut"
else
  echo "run $run: no ETS cut in $site_ets_cut/ets_cut.txt, nothing removed"
fi
site_pause
site_write_root "$site_here/run$run.root" "ETS cut check of run $run" "${cut:-$run}"
site_plot "$site_here/run$run.png" "ETS cut check run $run" "$run" 2
