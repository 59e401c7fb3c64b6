#!/usr/bin/env bash
# `npm test`: makes a fresh machine ready (npm packages from the lock file, Debian packages for the real
# servers the suite starts), runs the whole tap suite, and ends with the line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/tap ]; then
  # npm ci ends with the project's own build (prepare). The suite does not need dist/ (it runs the sources through
  # tsx, and test/build.test.ts builds its own), so a failed build is reported by that test, not here. A failed
  # package install leaves no node_modules (npm rolls it back), so no tap either.
  npm ci --no-audit --no-fund || [ -x node_modules/.bin/tap ] || exit 1
fi
bash scripts/install-test-deps.sh || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
node_modules/.bin/tap --reporter=tap "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# tap's closing summary reads "# { total: N, pass: N, fail: N, ... }"; absent counts are zero.
summary=$(grep -E '^# \{ total:' "$log" | tail -n 1)
passed=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
echo "${passed:-0} passed, ${failed:-0} failed"
if [ -z "$summary" ] && [ "$rc" -eq 0 ]; then rc=1; fi
exit "$rc"
