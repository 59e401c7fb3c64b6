#!/usr/bin/env bash
# The Unix accounts of the test suite's SSH and Slurm sites (test/helpers/ssh-site.ts), whose passwords are written
# in the repository: a machine's own sshd would accept them, so none may outlive the suite.
#   ensure <lease>          create the accounts of stdin ("name:password" lines) or reset their passwords, and hold
#                           them under <lease> ("<pid>-<anything>": held while that process runs)
#   release <lease>         drop the lease, then remove-unused
#   remove-unused [secs]    remove every account ever created here that nothing uses: no live lease (waiting up
#                           to secs for holders to exit), no running test sshd that admits it; its processes are
#                           killed (by pid) and its home removed. test.sh runs this before and after the suite.
# Every change happens under one lock, so that one test file never removes what another is creating.
set -uo pipefail
state=${TOPUP_TEST_USERS_STATE:-/var/tmp/topup-test-users}

if [ "$(id -u)" -ne 0 ]; then
  echo "the test sites need root: they create Unix accounts, network namespaces and daemons of their own" >&2
  exit 1
fi
mkdir -p "$state/leases"
touch "$state/accounts"
exec 9>"$state/lock"
flock 9

live_leases() {
  local lease pid
  for lease in "$state"/leases/*; do
    [ -e "$lease" ] || continue
    pid=${lease##*/}
    pid=${pid%%-*}
    if [ -d "/proc/$pid" ]; then echo "$lease"; else rm -f "$lease"; fi
  done
}

# A running sshd of a live test site admits <name> ("AllowUsers <name>"): a site of a checkout whose helpers take
# no lease counts too. A site whose owner (the test process, in its folder's owner file) is gone does not.
admitted() {
  local pid config owner
  for pid in $(pgrep -x sshd); do
    config=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -A1 -x -- -f | tail -n 1)
    case "$config" in /tmp/topup-ssh-site/*) ;; *) continue ;; esac
    owner=$(cat "$(dirname "$config")/owner" 2>/dev/null)
    [ -n "$owner" ] && [ -d "/proc/$owner" ] && grep -qx "AllowUsers $1" "$config" 2>/dev/null && return 0
  done
  return 1
}

remove_account() {
  local name=$1 attempt pid
  id -u "$name" >/dev/null 2>&1 || return 0
  for attempt in $(seq 50); do
    for pid in $(ps -o pid= -u "$name"); do kill -KILL "$pid" 2>/dev/null; done
    userdel -r "$name" 2>/dev/null
    id -u "$name" >/dev/null 2>&1 || return 0
    sleep 0.1
  done
  echo "cannot remove test account $name" >&2
  return 1
}

remove_unused() {
  local wait=${1:-0} name rc=0 kept=()
  for _ in $(seq "$((wait * 10))"); do
    [ -z "$(live_leases)" ] && break
    sleep 0.1
  done
  [ -n "$(live_leases)" ] && return 0
  while IFS= read -r name; do
    [ -n "$name" ] || continue
    if admitted "$name"; then kept+=("$name"); continue; fi
    remove_account "$name" || { rc=1; kept+=("$name"); }
  done < "$state/accounts"
  printf '%s\n' "${kept[@]}" | grep -v '^$' > "$state/accounts.new"
  mv "$state/accounts.new" "$state/accounts"
  return "$rc"
}

case "${1:-}" in
  ensure)
    lease=${2:?lease}
    touch "$state/leases/$lease"
    while IFS=: read -r name password; do
      [ -n "$name" ] || continue
      grep -qx "$name" "$state/accounts" || echo "$name" >> "$state/accounts"
      id -u "$name" >/dev/null 2>&1 || useradd -m -s /bin/bash "$name" || exit 1
      printf '%s:%s\n' "$name" "$password" | chpasswd || exit 1
    done
    ;;
  release)
    rm -f "$state/leases/${2:?lease}"
    remove_unused 0
    ;;
  remove-unused) remove_unused "${2:-0}" ;;
  *) echo "usage: $0 ensure <lease> | release <lease> | remove-unused [seconds]" >&2; exit 2 ;;
esac
