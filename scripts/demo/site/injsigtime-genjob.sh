#!/usr/bin/env bash
# InjSigTimeCal/genJob.sh <date> (stage 1): makes the day's folder, writes one job-option file rec<run>_1.txt per
# run of the day's raw data (from temp.txt: RUNNO, and INPUTFILE the run's raw files) and submits each with
# `boss.condor -g offlinerun` from the day's folder, then prints `Total = <n> files` (the raw files read) and DONE.
# Refuses (no DONE) an existing folder: "ERROR: <date> exists". A day with no raw data is no refusal on the site
# either: ls complains, nothing is submitted, "Total = 0 files" and DONE.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

date=${1:-}
site_day_folder "$date"
mkdir -- "$date"
site_raw_runs "$date"
template=$(< temp.txt) || exit 1
for run in "${site_runs[@]}"; do
  site_fill job "$template" RUNNO "$run" INPUTFILE "${site_run_files[$run]}"
  printf '%s\n' "$job" > "$date/rec${run}_1.txt"
  (cd -- "$date" && boss.condor -g offlinerun "rec${run}_1.txt")
done
echo "Total = $site_file_count files"
echo "DONE"
