#!/usr/bin/env bash
# boss.exe <job-option file>: BOSS as the site's jobs run it (boss.condor's jobs; stdout is the .bosslog, stderr the
# .bosserr). It reads the `Name.Property = value;` lines of the file and runs the algorithm they configure:
#   InjSigTime (stage 1: InjSigTime.RunNo, .OutputFile, .IntervalFile, .IntervalPlot) writes the run's ROOT file
#     (in two pieces), Interval_run<run>.txt (interval_From_DB, interval_before_sorting, interval_after_sorting:
#     15000000, or 20000000 for a topup run) and the interval plot; a day of abnormal_days also gets
#     Interval_run0.png;
#   TopupValid (stage 2: TopupValid.RunNo, .InjSigInterval, NTupleSvc.Output's DATAFILE) writes the histogram file.
# A job that the settings make fail writes no file and exits 1; a good one ends its log with "Application Manager
# Finalized successfully" then "Application Manager Terminated successfully".
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

options=${1:-}
[ -f "$options" ] || site_fail "boss.exe: cannot open job option file \"$options\""
declare -A opt=()
while IFS= read -r line; do
  [[ $line =~ ^[[:space:]]*([A-Za-z0-9_]+\.[A-Za-z0-9_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*\;[[:space:]]*$ ]] &&
    opt[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done < "$options"
unquoted() { local v=${1#\"}; printf '%s' "${v%\"}"; }

printf '%s\n' '**************************************************' "               BOSS version: $site_boss" \
  '************** BESIII Collaboration **************' "the jobOptions file is : $options"
site_pause
if [[ -v opt[InjSigTime.RunNo] ]]; then
  stage=1 run=${opt[InjSigTime.RunNo]} alg=InjSigTime
elif [[ -v opt[TopupValid.RunNo] ]]; then
  stage=2 run=${opt[TopupValid.RunNo]} alg=TopupValid
else
  site_fail "JobOptionsSvc       FATAL no algorithm configured in $options"
fi
site_need_run "$run"
echo "$alg            INFO run $run: reading ${opt[EventCnvSvc.digiRootInputFile]:-nothing}"
# stage 2 runs a job a raw file: only the run's first (rec<run>_0) is made to fail
if [[ $stage == 1 || $options == *_0 ]] && site_job_fails "$stage" "$run"; then
  echo "ApplicationMgr      FATAL Application Manager Terminated with error code 1"
  exit 1
fi
if [ "$stage" = 1 ]; then
  interval=$site_non_topup
  site_listed topup_runs "$run" && interval=20000000
  site_write_root "$(unquoted "${opt[InjSigTime.OutputFile]}")" "InjSigTime of run $run" "interval $interval"
  site_pause
  printf '%s\n' "run $run" "interval_From_DB = $interval" "interval_before_sorting = $interval" \
    "interval_after_sorting = $interval" | site_put "$(unquoted "${opt[InjSigTime.IntervalFile]}")"
  day=${opt[EventCnvSvc.digiRootInputFile]%/*}
  day=${day##*/}
  if site_listed abnormal_days "$day"; then
    echo "InjSigTime          ERROR run $run: no injection found, the day's data look abnormal"
    site_plot Interval_run0.png 'Interval run 0' 0 1
  fi
  site_plot "$(unquoted "${opt[InjSigTime.IntervalPlot]}")" "Interval run $run" "$run" 1
else
  [[ ${opt[NTupleSvc.Output]:-} =~ DATAFILE=\'([^\']+)\' ]] || site_fail "NTupleSvc           FATAL no DATAFILE in NTupleSvc.Output"
  site_write_root "${BASH_REMATCH[1]}" "TopupValid histograms of run $run" "InjSigInterval ${opt[TopupValid.InjSigInterval]:-}"
fi
echo "$alg            INFO run $run: done"
printf '%s\n' 'ApplicationMgr       INFO Application Manager Finalized successfully' \
  'ApplicationMgr       INFO Application Manager Terminated successfully'
