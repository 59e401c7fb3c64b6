#!/usr/bin/env bash
# Debian packages the test suite needs: OpenSSH (jump and target servers of its own) and iproute2
# (a network namespace so that the target is reachable only through the jump), procps (pgrep/ps for checking
# the target's process table), and a Slurm cluster of its own (test/helpers/slurm-site.ts: munge, slurmctld,
# slurmd and the client tools, slurmdbd with MariaDB for sacct). Installs only what is missing, and starts none
# of the packages' system services: the tests start their own daemons. The page's tests (test/web/) drive Debian's
# Chromium, headless, with a CJK font so that Chinese screenshots show characters, not boxes.
set -euo pipefail
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ip >/dev/null || need+=(iproute2)
command -v ssh >/dev/null || need+=(openssh-client)
command -v pgrep >/dev/null || need+=(procps)
[ -x /usr/sbin/munged ] || need+=(munge)
{ [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && [ -x /usr/bin/sbatch ]; } || need+=(slurm-wlm)
[ -x /usr/sbin/slurmdbd ] || need+=(slurmdbd)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "the test suite needs these Debian packages, and installing them needs root: ${need[*]}" >&2
    exit 1
  fi
  echo "installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # the packages' postinst would start system munged, mariadbd and Slurm daemons
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
mkdir -p /run/sshd
