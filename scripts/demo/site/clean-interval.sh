#!/usr/bin/env bash
# InjSigTimeCal/clean_interval.sh (step 8.1, `bash clean_interval.sh`): sorts interval.txt by run and drops repeated
# lines (what the site's script does is not known; this is the reading of its name). Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

file=$site_ist/interval.txt
[ -e "$file" ] || site_fail "clean_interval.sh: $file does not exist"
sort -n -k1,1 -- "$file" | uniq | site_put "$file"
runs=$(wc -l < "$file")
if ((runs == 0)); then
  echo "interval.txt: no run"
else
  echo "interval.txt: $runs runs, from $(head -n 1 -- "$file" | cut -d' ' -f1) to $(tail -n 1 -- "$file" | cut -d' ' -f1)"
fi
