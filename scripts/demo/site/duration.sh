#!/usr/bin/env bash
# OfflineEvtFilter/duration_caculate/a.out (step 8.3): the seconds the ETS cut removes from each run of
# ../ets_cut.txt, into duration.txt (`run seconds`). Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

cd -- "$site_here" || exit 1
[ -e ../ets_cut.txt ] || site_fail "ERROR: cannot open ../ets_cut.txt"
awk '{ cut = 0; for (i = 2; i + 1 <= NF; i += 2) cut += $(i + 1) - $i; printf "%s %.1f\n", $1, cut }' ../ets_cut.txt |
  site_put duration.txt
echo "duration of $(wc -l < duration.txt) runs written to duration.txt"
