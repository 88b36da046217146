#!/usr/bin/env bash
# A three-node berth cluster on one machine: three agents on loopback addresses that share this
# machine's Docker engine (each node only sees the containers labelled with its name), and one
# controller with a file store. It places 4 replicas (replicas-per-host=2), puts a node in standby
# (its replicas move, the old copy always removed before the new one starts), takes it back,
# then stops everything and removes what it made. (The daemons are started without a shell
# function around them, so that $! is their pid and the cleanup's SIGTERM reaches them.) Needs a running Docker engine and the test
# image (scripts/setup-docker.sh makes both). Run from the repository root:
#   examples/cluster/run.sh
# For real nodes and real power-off/partition, see test/cluster/failover.ts and docs/cluster.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BERTH="$here/bin/berth"
berth() { "$BERTH" "$@"; }
dir=$(mktemp -d /tmp/berth-cluster-example.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  ids=$(docker ps -aq --filter label=berth.bundle=example-web)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
show() { docker ps --filter label=berth.bundle=example-web --format '  {{.Names}} on {{.Label "berth.node"}}: {{.Status}}' | sort; }

berth authkey generate "$dir/authkey" >/dev/null
cib="$dir/cib.xml"
berth -f "$cib" node add ex1 >/dev/null
berth -f "$cib" node add ex2 >/dev/null
berth -f "$cib" node add ex3 >/dev/null
# Stickiness 1 (what 'pcs cluster setup' sets): a running replica stays where it is when a node
# comes back; with 0, the scheduler rebalances, as Pacemaker does.
berth -f "$cib" resource defaults update resource-stickiness=1 2>/dev/null
# --init: busybox httpd as PID 1 ignores SIGTERM; without an init every stop waits 10 s.
berth -f "$cib" resource bundle create example-web container docker image=berth-test/httpd:1 replicas=4 replicas-per-host=2 options=--init >/dev/null

"$BERTH" controller --listen 127.0.0.1:7941 --cib "$cib" --store "$dir/store" --authkey "$dir/authkey" >"$dir/controller.log" 2>&1 &
pids+=($!)
for i in 1 2 3; do
  "$BERTH" agent --node ex$i --listen 127.0.0.1:795$i --controller http://127.0.0.1:7941 --authkey "$dir/authkey" --state-dir "$dir/ex$i" >"$dir/agent-ex$i.log" 2>&1 &
  pids+=($!)
done

wait_running() { for _ in $(seq 1 120); do [ "$(docker ps --filter label=berth.bundle=example-web -q | wc -l)" = "$1" ] && return 0; sleep 0.5; done; echo "timed out" >&2; return 1; }
status() { berth cluster status --controller http://127.0.0.1:7941 --authkey "$dir/authkey" "$@"; }
# Converged: the leader's last pass found nothing to do (its JSON form, for scripts).
wait_converged() { for _ in $(seq 1 120); do status --json | grep -q '"converged":true' && return 0; sleep 0.5; done; echo "timed out" >&2; return 1; }
wait_running 4
wait_converged
echo "4 replicas placed on 3 nodes:"; show
status

echo; echo "berth node standby ex1: its replicas move"
berth -f "$cib" node standby ex1
for _ in $(seq 1 120); do [ -z "$(docker ps --filter label=berth.node=ex1 --filter label=berth.bundle=example-web -q)" ] && [ "$(docker ps --filter label=berth.bundle=example-web -q | wc -l)" = 4 ] && break; sleep 0.5; done
show

wait_converged
status

echo; echo "berth node unstandby ex1: the moved replicas stay (no needless moves)"
berth -f "$cib" node unstandby ex1
sleep 3; show
echo; echo "controller log:"; sed 's/^/  /' "$dir/controller.log"
