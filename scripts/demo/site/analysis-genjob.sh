#!/usr/bin/env bash
# genJob.sh of stages 3 to 6 (search_peak, checkShieldCalib, ETS_cut, check_ETScut_CalibConst): for each
# DataValid/hist/hist<run>.root (the run: the five characters before .root) writes a job file in the folder holding
# one line `<folder>/a.out <hist folder> <run>` (after #!/bin/bash), makes it executable and submits it with
# `hep_sub -g offlinerun`, printing the run and hep_sub's "1 job(s) submitted to cluster C". Stages 3 and 5 then
# print `Total = <n> files`; all end with DONE. No hist file: ls complains, nothing is submitted, DONE.
#   search_peak              run_<run>_3.txt        (hist folder with a trailing slash, as on the site)
#   checkShieldCalib         run_<run>_4.txt
#   ETS_cut                  plot_ETS_<run>.txt     (sleep 1 before chmod, as on the site)
#   check_ETScut_CalibConst  ETScut_check_<run>.txt
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

cd -- "$site_here" || exit 1
hist=$site_hist total=0 pause=0
case ${site_here##*/} in
  search_peak) job=run_@_3.txt hist=$site_hist/ total=1 ;;
  checkShieldCalib) job=run_@_4.txt ;;
  ETS_cut) job=plot_ETS_@.txt total=1 pause=1 ;;
  check_ETScut_CalibConst) job=ETScut_check_@.txt ;;
  *) site_fail "genJob.sh: $site_here is no folder of stages 3 to 6" ;;
esac
files=("$site_hist"/hist*.root)
((${#files[@]})) || echo "ls: cannot access '$site_hist/hist*.root': No such file or directory" >&2
for file in "${files[@]}"; do
  run=${file%.root}
  run=${run: -5}
  echo "$run"
  name=${job/@/$run}
  { echo '#!/bin/bash'; printf '%q %q %q\n' "$site_here/a.out" "$hist" "$run"; } > "$name"
  ((pause)) && site_pause
  chmod 755 "$name"
  hep_sub -g offlinerun "$name"
done
((total)) && echo "Total = ${#files[@]} files"
echo "DONE"
