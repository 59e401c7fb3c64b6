#!/usr/bin/env bash
# OfflineEvtFilter/cp_3files.sh (step 8.3): copies the three cumulative files, InjSigTimeCal/interval.txt,
# search_peak/window.dat and ETS_cut/ets_cut.txt, into OfflineEvtFilter/. Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

cp -- "$site_ist/interval.txt" "$site_search_peak/window.dat" "$site_ets_cut/ets_cut.txt" "$site_oef/"
