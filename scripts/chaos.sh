#!/usr/bin/env bash
# The chaos run (docs/chaos.md): faults chosen at random from a seed on a namespaced cluster with
# real engines and etcd, audited after each. Needs root. Exit 0 passed, 1 a finding, 2 usage.
# Usage: scripts/chaos.sh [--seed N] [--minutes M]
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/build.mjs --no-typecheck >/dev/null
exec node scripts/chaos.mjs "$@"
