#!/usr/bin/env bash
# OfflineEvtFilter/ccompare/a.out and OfflineEvtFilter/check/a.out <bosse> <from> <to> (step 8.3): the checks print
# nothing when all is well. <root>/site/fail-ccompare or <root>/site/fail-check makes them print that file's text
# (the default when it is empty: "error:  repeat run 0" for ccompare, a difference for check). check also needs
# file.txt (`ls ../OfflineEvtFilter_00*.root > file.txt`) to list files. Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

cd -- "$site_here" || exit 1
case ${site_here##*/} in
  ccompare) switch=$site_root/site/fail-ccompare default='error:  repeat run 0' ;;
  check)
    switch=$site_root/site/fail-check default="check: constants of runs ${2:-?} to ${3:-?} differ from the database"
    [ -s file.txt ] || { echo "ERROR: file.txt lists no file"; exit 1; } ;;
  *) site_fail "a.out: $site_here is no check of step 8.3" ;;
esac
if [ -e "$switch" ]; then
  if [ -s "$switch" ]; then cat -- "$switch"; else echo "$default"; fi
fi
exit 0
