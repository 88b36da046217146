#!/usr/bin/env bash
# A throwaway one-member etcd on free loopback ports, for benchmarks and trying berth by hand
# (tests use test/helpers/etcd.ts instead, which stops it for them).
#   eval "$(scripts/start-etcd.sh)"      # starts it; prints BERTH_STORE=... ETCD_PID=... ETCD_DIR=...
#   scripts/start-etcd.sh stop "$ETCD_DIR"   # kills it and removes its data
set -euo pipefail

if [ "${1:-}" = stop ]; then
  dir=${2:?usage: start-etcd.sh stop DIR}
  [ -f "$dir/pid" ] && kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
  case "$dir" in /tmp/berth-etcd.*) rm -rf "$dir" ;; *) echo "not removing $dir (not made by start-etcd.sh)" >&2 ;; esac
  exit 0
fi

if ! command -v etcd >/dev/null 2>&1; then
  echo "start-etcd: installing etcd-server" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d /tmp/berth-etcd.XXXXXX)
client=$(free_port); peer=$(free_port)
# --max-request-bytes: a 5,000-bundle CIB is about 2 MB, more than etcd's default 1.5 MiB.
etcd --name berth --data-dir "$dir/data" \
  --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "berth=http://127.0.0.1:$peer" --initial-cluster-state new \
  --max-request-bytes 16777216 --auto-compaction-mode revision --auto-compaction-retention 1000 \
  --log-level warn >"$dir/etcd.log" 2>&1 &
echo $! >"$dir/pid"
for _ in $(seq 1 150); do
  if curl -fsS "http://127.0.0.1:$client/health" 2>/dev/null | grep -q '"health":"true"'; then
    echo "BERTH_STORE=etcd://127.0.0.1:$client/berth; export BERTH_STORE; ETCD_PID=$(cat "$dir/pid"); ETCD_DIR=$dir"
    exit 0
  fi
  sleep 0.1
done
echo "start-etcd: etcd did not become healthy; its log:" >&2
tail -20 "$dir/etcd.log" >&2
kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
rm -rf "$dir"
exit 1
