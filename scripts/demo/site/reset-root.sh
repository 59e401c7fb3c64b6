#!/usr/bin/env bash
# checkDBAlg-00-00-00/share/reset_root.sh (the end of step 8.3): resets the database check's ROOT files; here it
# only says so. Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"
echo "reset_root.sh: done"
