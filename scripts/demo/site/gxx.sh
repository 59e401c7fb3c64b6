#!/usr/bin/env bash
# g++ [-Wall] [-O<n>] [-o <output>] <source.cpp>: "compiles" a program of the simulated site: the output (a.out
# unless -o) becomes a link to the stand-in of that source (genConst.cpp: gen-const.sh). A step-8 stand-in: the
# call is recorded in calls.log.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1
site_record "$@"

output=a.out source=
while (($#)); do
  case $1 in
    -o) (($# >= 2)) || site_fail "g++: error: missing filename after '-o'"; output=$2; shift 2 ;;
    -W* | -O* | -g | -std=*) shift ;;
    -*) site_fail "g++ (simulated): unknown option $1" ;;
    *) source=$1; shift ;;
  esac
done
[ -n "$source" ] || site_fail "g++: fatal error: no input files"
[ -f "$source" ] || site_fail "g++: error: $source: No such file or directory"
case ${source##*/} in
  genConst.cpp) program=gen-const.sh ;;
  *) site_fail "g++ (simulated): the site has no program for $source" ;;
esac
ln -sfn -- "$site_programs/$program" "$output"
