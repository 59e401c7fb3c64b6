#!/usr/bin/env bash
# convert <png>... <out>.pdf (ImageMagick inside the container; PNGs to a PDF only): a page per PNG, by
# merge-plots.mjs. Silent when it works, as convert is; a missing input (an unmatched glob) is reported as
# ImageMagick does and the others are merged; none at all writes nothing. Either way the exit status is 1.
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

(($# >= 2)) || site_fail "convert: no images defined"
output=${*: -1}
[[ $output == *.pdf ]] || site_fail "convert (simulated): only PNGs to a PDF: convert <png>... <out>.pdf"
inputs=() status=0
for input in "${@:1:$#-1}"; do
  if [ -f "$input" ]; then
    inputs+=("$input")
  else
    echo "convert: unable to open image '$input': No such file or directory @ error/blob.c/OpenBlob/2589." >&2
    status=1
  fi
done
if ((${#inputs[@]} == 0)); then
  echo "convert: no images defined '$output' @ error/convert.c/ConvertImageCommand/3210." >&2
  exit 1
fi
"${site_setting[node]}" "$site_programs/merge-plots.mjs" "$output" "${inputs[@]}" > /dev/null || exit 1
exit "$status"
