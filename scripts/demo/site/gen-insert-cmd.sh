#!/usr/bin/env bash
# genInsertCmd.sh -runfrom <from> -runto <to> -sub_switch <0|1> (step 8, in one of the /afs database folders
# InjSigInterval/<boss>, InjSigTime/<boss>/<round>, OfflineEvtFilter/<boss>/<round>): the insert commands of the
# folder's constant files of runs <from> to <to>. -sub_switch 0 prints them (a dry run); 1 runs them: each is
# added to <root>/site/database.txt and printed as "inserted: <command>". A file already in the database refuses
# the whole insert; no file in the range is an error. Recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

usage="usage: bash genInsertCmd.sh -runfrom <run> -runto <run> -sub_switch <0|1>"
from= to= switch=
while (($#)); do
  (($# >= 2)) || site_fail "$usage"
  case $1 in
    -runfrom) from=$2 ;;
    -runto) to=$2 ;;
    -sub_switch) switch=$2 ;;
    *) site_fail "$usage" ;;
  esac
  shift 2
done
[[ $from =~ ^[0-9]{5}$ && $to =~ ^[0-9]{5}$ && $switch =~ ^[01]$ ]] && ((10#$from <= 10#$to)) || site_fail "$usage"
table=${site_here#"$site_afs/"}
table=${table%%/*}
cd -- "$site_here" || exit 1
commands=() records=()
for file in *.root; do
  if [[ $file =~ ^InjSigInterval_([0-9]+)_([0-9]+)\.root$ ]]; then
    first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}
  elif [[ $file =~ ^${table}_00([0-9]+)_${site_bosse}\.root$ ]]; then
    first=${BASH_REMATCH[1]} last=${BASH_REMATCH[1]}
  else
    continue
  fi
  ((10#$first <= 10#$to && 10#$last >= 10#$from)) || continue
  commands+=("insertdb -table $table -boss $site_boss -round $site_round -runfrom $first -runto $last -file $site_here/$file")
  records+=("$table	$site_boss	$site_round	$first	$last	$site_here/$file")
done
((${#commands[@]})) || site_fail "ERROR: no $table constants of runs $from to $to in $site_here"
if [ "$switch" = 0 ]; then
  printf '%s\n' "${commands[@]}"
  exit 0
fi
touch -- "$site_database"
for record in "${records[@]}"; do
  if grep -qxF -- "$record" "$site_database"; then site_fail "ERROR: ${record##*	} is in the database already: nothing inserted"; fi
done
printf '%s\n' "${records[@]}" >> "$site_database"
printf 'inserted: %s\n' "${commands[@]}"
