#!/usr/bin/env bash
# DataValid/genJob.sh <date> (stage 2): makes the day's folder with a subfolder per run and <date>/mergeHist.sh; for
# each raw file of the run (i = 0..n-1) a job-option file <date>/<run>/rec<run>_<i> from temp.txt (RUNNO, ID,
# INPUTFILE, and INTERVAL from InjSigTimeCal/interval.txt: 15000000 -> 60, another interval v -> v/250000, an
# invented rule: the site has only ever seen non-topup runs); once a run's files are written, submits them from the
# run's folder: `boss.condor -g offlinerun rec<run>_0` for one file, `boss.condor -g offlinerun -n <n>
# rec<run>_%{ProcId}` for n. mergeHist.sh gets `hadd hist<run>.root <run>/*root` per run and the site's tail lines;
# DONE at the end (no Total line). Refuses (no DONE) an existing folder ("ERROR: <date> exists") and, before making
# anything, a run that interval.txt does not list ("ERROR: run <run> is not in .../interval.txt").
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

date=${1:-}
site_day_folder "$date"
site_raw_runs "$date"
declare -A interval=()
for run in "${site_runs[@]}"; do
  if ! site_interval_of value "$run"; then
    echo "ERROR: run $run is not in $site_ist/interval.txt"
    exit 0
  fi
  if [ "$value" = "$site_non_topup" ]; then interval[$run]=60; else interval[$run]=$((value / 250000)); fi
done
mkdir -- "$date"
echo '#!/bin/bash' > "$date/mergeHist.sh"
template=$(< temp.txt) || exit 1
declare -A next=()
for file in "${site_raw_files[@]}"; do
  name=${file##*/}
  run=${name:6:5}
  i=${next[$run]:-0}
  next[$run]=$((i + 1))
  if ((i == 0)); then
    mkdir -- "$date/$run"
    echo "hadd hist$run.root $run/*root" >> "$date/mergeHist.sh"
  fi
  site_fill job "$template" RUNNO "$run" ID "$i" INPUTFILE "$file" INTERVAL "${interval[$run]}"
  printf '%s\n' "$job" > "$date/$run/rec${run}_$i"
  if ((i + 1 == site_run_count[$run])); then
    if ((i == 0)); then
      (cd -- "$date/$run" && boss.condor -g offlinerun "rec${run}_0")
    else
      (cd -- "$date/$run" && boss.condor -g offlinerun -n "$((i + 1))" "rec${run}_%{ProcId}")
    fi
    site_pause
  fi
done
printf '%s\n' "sleep $site_step" 'rm */hist*_*.root -f' 'du -sh *' 'ls */*core*' 'mv hist*.root ../hist' >> "$date/mergeHist.sh"
chmod +x "$date/mergeHist.sh"
echo "DONE"
