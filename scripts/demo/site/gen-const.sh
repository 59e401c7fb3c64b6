#!/usr/bin/env bash
# genConst/a.out <run_from> (step 8.1; "compiled" from genConst.cpp by g++): the InjSigInterval constants of the runs
# of InjSigTimeCal/interval.txt from run_from on, InjSigInterval_<from>_<to>.root (a line "run interval"), and
# copy.sh, which copies that file to const_runForm_runTo/. Recorded in calls.log (copy.sh is a plain script).
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

from=${1:-}
site_need_run "$from"
lines=()
while read -r run interval _; do
  [[ $run =~ ^[0-9]+$ ]] && ((10#$run >= 10#$from)) && lines+=("$run $interval")
done < "$site_ist/interval.txt"
((${#lines[@]})) || site_fail "ERROR: interval.txt has no run from $from on"
to=${lines[-1]%% *}
name=InjSigInterval_${from}_$to.root
site_write_root "$name" "InjSigInterval constants of runs $from to $to" "${lines[@]}"
printf '%s\n' '#!/bin/bash' "cp $name const_runForm_runTo/" > copy.sh
echo "InjSigInterval constants of ${#lines[@]} runs ($from to $to): $name"
