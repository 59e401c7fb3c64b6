#!/usr/bin/env bash
# IST check (step 1.3) for the demo: in each Interval_run<run>.txt of the folder, interval_From_DB,
# interval_before_sorting and interval_after_sorting must all equal the expected value; each run that passes is
# appended to interval.txt as "<run> <value>". Prints "OK run <run>" per run and "IST CHECK PASSED" at the end,
# or "BAD run <run>: …" and exits 1.
#   ist-check.sh <folder> [expected value, default 15000000]
set -euo pipefail
dir=${1:?usage: ist-check.sh <folder> [expected]}
expected=${2:-15000000}
cd -- "$dir"
shopt -s nullglob
files=(Interval_run*.txt)
if (( ${#files[@]} == 0 )); then echo "BAD: no Interval_run*.txt in $dir"; exit 1; fi

bad=0
checked=()
for file in "${files[@]}"; do
  run=${file#Interval_run}
  run=${run%.txt}
  problems=()
  for key in interval_From_DB interval_before_sorting interval_after_sorting; do
    value=$(sed -n "s/^[[:space:]]*${key}[[:space:]]*[=:][[:space:]]*\([0-9]*\).*/\1/p" -- "$file" | head -n 1)
    if [ "$value" != "$expected" ]; then problems+=("$key=${value:-missing}"); fi
  done
  if (( ${#problems[@]} > 0 )); then
    echo "BAD run $run: ${problems[*]}"
    bad=1
  else
    checked+=("$run")
    echo "OK run $run"
  fi
done
if (( bad )); then exit 1; fi
for run in "${checked[@]}"; do printf '%s %s\n' "$run" "$expected" >> interval.txt; done
echo "IST CHECK PASSED (${#checked[@]} runs)"
