#!/usr/bin/env bash
# `npm test`: makes a fresh machine ready (npm packages from the lock file, Debian packages for the real
# servers the suite starts), runs the whole tap suite, removes the Unix accounts its test sites made, and ends
# with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "npm test needs root: the suite installs Debian packages and starts real servers with Unix accounts, network namespaces and daemons of their own (run it as root, e.g. in a container)" >&2
  exit 1
fi

if [ ! -x node_modules/.bin/tap ]; then
  # npm ci ends with the project's own build (prepare). The suite does not need dist/ (it runs the sources through
  # tsx, and test/build.test.ts builds its own), so a failed build is reported by that test, not here. A failed
  # package install leaves no node_modules (npm rolls it back), so no tap either.
  npm ci --no-audit --no-fund || [ -x node_modules/.bin/tap ] || exit 1
fi
bash scripts/install-test-deps.sh || exit 1

# The sites' Unix accounts (their passwords are in the repository) never outlive the suite: those a killed run
# left are removed now, and this run's when it ends, however it ends (failures, Ctrl-C, SIGTERM).
bash scripts/test-users.sh remove-unused || exit 1
log=$(mktemp)
cleaned=
remove_accounts() {
  [ -n "$cleaned" ] && return 0
  cleaned=1
  trap '' INT TERM HUP
  # after an interruption a test file's lease ends with its process: give the files a moment to exit
  bash scripts/test-users.sh remove-unused "$1" || { echo "test accounts are left behind: see scripts/test-users.sh" >&2; return 1; }
}
trap 'remove_accounts 10; rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
node_modules/.bin/tap --reporter=tap "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
remove_accounts 0 || rc=1

# tap's closing summary reads "# { total: N, pass: N, fail: N, ... }"; absent counts are zero.
summary=$(grep -E '^# \{ total:' "$log" | tail -n 1)
passed=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
echo "${passed:-0} passed, ${failed:-0} failed"
if [ -z "$summary" ] && [ "$rc" -eq 0 ]; then rc=1; fi
exit "$rc"
