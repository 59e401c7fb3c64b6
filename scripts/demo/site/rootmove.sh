#!/usr/bin/env bash
# rootmove.sh (step 8): moves the folder's constant files to the database folder of their kind under /afs:
#   genConst/const_runForm_runTo  InjSigInterval_*.root           -> InjSigInterval/<boss>/
#   InjSigTimeCal/calibConst      InjSigTime_00*_<bosse>.root     -> InjSigTime/<boss>/<round>/
#   OfflineEvtFilter              OfflineEvtFilter_00*_<bosse>.root -> OfflineEvtFilter/<boss>/<round>/
# None there: mv's "cannot stat", exit 1. Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

cd -- "$site_here" || exit 1
case ${site_here##*/} in
  const_runForm_runTo) kind=InjSigInterval files=(InjSigInterval_*.root) dest=$site_afs/InjSigInterval/$site_boss ;;
  calibConst) kind=InjSigTime files=(InjSigTime_00*_"$site_bosse".root) dest=$site_afs/InjSigTime/$site_boss/$site_round ;;
  OfflineEvtFilter)
    kind=OfflineEvtFilter files=(OfflineEvtFilter_00*_"$site_bosse".root)
    dest=$site_afs/OfflineEvtFilter/$site_boss/$site_round ;;
  *) site_fail "rootmove.sh: $site_here is no folder of step 8" ;;
esac
((${#files[@]})) || site_fail "mv: cannot stat '${kind}_*.root': No such file or directory"
mv -- "${files[@]}" "$dest/"
