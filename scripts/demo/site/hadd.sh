#!/usr/bin/env bash
# hadd [-f] <target> <source>...: ROOT's hadd for the simulated ROOT files. Refuses an existing target without -f,
# a missing source and an incomplete one (a job still writing it), writing nothing then and exiting 1.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

force=0
[ "${1:-}" = -f ] && { force=1; shift; }
(($# >= 2)) || site_fail "usage: hadd [-f] targetfile source1 [source2 source3 ...]"
target=$1
shift
echo "hadd Target file: $target"
if [ -e "$target" ] && ((force == 0)); then
  echo "hadd error opening target file (does $target exist?)." >&2
  echo "Pass \"-f\" argument to force re-creation of output file." >&2
  exit 1
fi
i=0
for source; do
  i=$((i + 1))
  echo "hadd Source file $i: $source"
  if [ ! -e "$source" ]; then
    echo "Error in <TFile::TFile>: file $source does not exist" >&2
    echo "hadd exiting due to error in $source" >&2
    exit 1
  fi
  if ! site_root_complete "$source"; then
    echo "Warning in <TFile::Init>: file $source probably not closed, trying to recover" >&2
    echo "Error in <TFile::Init>: file $source is truncated: it cannot be merged" >&2
    echo "hadd exiting due to error in $source" >&2
    exit 1
  fi
done
echo "hadd Target path: $target:/"
lines=()
for source; do lines+=("from $source: $(sed -n 2p -- "$source")"); done
site_root_pause=0 # no job: it writes at once
site_write_root "$target" "hadd of $# files" "${lines[@]}"
