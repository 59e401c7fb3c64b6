#!/usr/bin/env bash
# root [-q] [-b] [-l] "<macro>.c(<arguments>)": ROOT running a macro of the site, in batch; the only macro it knows
# is hist/'s drawcheck.c(run), which reads hist<run>.root of the folder and draws check<run>.png (three pads).
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

macro=
for argument; do
  case $argument in
    -q | -b | -l | -x | -n) ;;
    -*) site_fail "root: unknown option $argument" ;;
    *) macro=$argument ;;
  esac
done
[ -n "$macro" ] || site_fail "root (simulated): this stand-in runs a macro in batch: root -q -b -l \"drawcheck.c(<run>)\""
[[ $macro =~ ^([A-Za-z0-9_./-]+\.[cC])(\((.*)\))?$ ]] || site_fail "root: cannot read the macro call $macro"
file=${BASH_REMATCH[1]} arguments=${BASH_REMATCH[3]}
[ -f "$file" ] || site_fail "Error in <TApplication::ExecuteFile>: macro $file not found in path ."
[ "${file##*/}" = drawcheck.c ] || site_fail "root (simulated): no stand-in for the macro $file"
run=$arguments
site_need_hist . "$run"
echo "Processing $macro..."
site_pause
site_plot "check$run.png" "check run $run" "$run" 3
echo "Info in <TCanvas::Print>: png file check$run.png has been created"
