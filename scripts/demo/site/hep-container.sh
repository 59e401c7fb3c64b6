#!/usr/bin/env bash
# hep_container shell <image> (/cvmfs/container.ihep.ac.cn/bin/hep_container): a shell "inside" the container (SL6,
# SL7, CentOS7, EL9) that reads its commands on stdin, as the site's here-docs feed them, in the current folder.
# Its PATH holds only the system's tools and ImageMagick's convert (a stand-in: PNGs to a PDF by merge-plots.mjs);
# none of the BOSS environment. Its exit status is the container's own, 0 whatever the commands did (stages.md:
# "no PNGs" does not fail the real one either).
source "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/site-lib.sh" || exit 1

[ "${1:-}" = shell ] && (($# == 2)) || site_fail "usage: hep_container shell <image>"
case $2 in
  SL6 | SL7 | CentOS7 | EL9) ;;
  *) site_fail "hep_container: unknown image $2 (known: SL6 SL7 CentOS7 EL9)" ;;
esac
env -i HOME="${HOME:-/}" USER="${USER:-$(id -un)}" LANG=C PATH="$site_root/site/container:/usr/bin:/bin" \
  bash --noprofile --norc -s
exit 0
