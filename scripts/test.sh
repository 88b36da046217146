#!/usr/bin/env bash
# The one test command (README "Run every test"; .ci/run calls exactly this): set up everything a
# fresh machine lacks, then run every test with tap and print a closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-docker.sh
# Leave the machine as found: in CI, stop the dockerd this run started (a developer's stays up).
if [ "${CI:-}" = "true" ]; then trap 'bash scripts/setup-docker.sh --stop-if-started || true' EXIT; fi
out=$(mktemp)
set +e
npx tap --reporter=tap "$@" > "$out" 2>&1
rc=$?
set -e
grep -E '^(not ok|# )' "$out" | grep -v '^# Subtest' | tail -n 40 || true
pass=$(grep -cE '^ *ok ' "$out" || true)
fail=$(grep -cE '^ *not ok ' "$out" || true)
if [ "$rc" -ne 0 ]; then
  echo "--- failures ---"; grep -B2 -A25 -E '^ *not ok ' "$out" | head -300 || true
fi
echo "$pass passed, $fail failed"
rm -f "$out"
exit "$rc"
