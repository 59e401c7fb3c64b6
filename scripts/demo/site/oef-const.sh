#!/usr/bin/env bash
# OfflineEvtFilter/a.out <bosse> <from> <to> (step 8.3): an OfflineEvtFilter_00<run>_<bosse>.root for every run of
# the folder's interval.txt (cp_3files.sh's copy) from <from> to <to>, with the run's lines of window.dat and
# ets_cut.txt. Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

bosse=${1:-} from=${2:-} to=${3:-}
[ "$bosse" = "$site_bosse" ] || site_fail "usage: ./a.out $site_bosse <run_from> <run_to> (BOSS $site_boss)"
site_need_run "$from"
site_need_run "$to"
cd -- "$site_here" || exit 1
[ -e interval.txt ] || site_fail "ERROR: cannot open interval.txt (run cp_3files.sh first)"
count=0
while read -r run _; do
  [[ $run =~ ^[0-9]+$ ]] && ((10#$run >= 10#$from && 10#$run <= 10#$to)) || continue
  [ -e "OfflineEvtFilter_00${run}_$bosse.root" ] && continue
  window= cut=
  site_line_of window window.dat "$run"
  site_line_of cut ets_cut.txt "$run"
  site_write_root "OfflineEvtFilter_00${run}_$bosse.root" "OfflineEvtFilter constants of run $run" \
    "50 Hz windows: ${window:-none}" "ETS cut: ${cut:-none}"
  count=$((count + 1))
done < interval.txt
((count)) || site_fail "ERROR: interval.txt has no run from $from to $to"
echo "OfflineEvtFilter constants of $count runs ($from to $to)"
