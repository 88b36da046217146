#!/usr/bin/env bash
# A bundle whose resource runs inside it, on this node: ocf:heartbeat:apache in two replicas of
# berth-test/pcmk:1, an image that runs Pacemaker's own executor (pacemaker-remoted), as a
# Pacemaker bundle would. berth makes the Pacemaker key, starts the containers, then apache in
# each through the executor with its monitor, prints `berth status` and the two pages; then stops
# the resources (before their containers) and removes everything.
#
#   bash examples/pcmk-apache/run.sh      (BERTH_EXAMPLE_DIR: where the CIB, key and state go)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
berth="${BERTH_BIN:-$root/bin/berth}"
work="${BERTH_EXAMPLE_DIR:-$(mktemp -d)}"
mkdir -p "$work"

# A fresh machine: Node, the build, a Docker engine and the test images (all idempotent, quiet).
bash "$root/scripts/setup.sh" >/dev/null
bash "$root/scripts/setup-docker.sh"

# The key the executors in the replicas hold: Pacemaker's format (256 random bytes, 0400), which is
# berth's own authkey format too. The node side finds it through PCMK_authkey_location.
key="$work/pacemaker-authkey"
[ -f "$key" ] || "$berth" authkey generate "$key"
export PCMK_authkey_location="$key"

cib="$work/cib.xml"
rm -f "$cib"
"$berth" -f "$cib" property set stonith-enabled=false
"$berth" -f "$cib" resource bundle create web-bundle \
  container docker image=berth-test/pcmk:1 replicas=2 replicas-per-host=2 \
  network ip-range-start=127.0.1.236 host-netmask=32 host-interface=lo control-port=3121 \
  port-map port=80
"$berth" -f "$cib" resource create web-httpd ocf:heartbeat:apache op monitor interval=10s bundle web-bundle

flags=(--cib "$cib" --node example --state-dir "$work/state")
"$berth" apply --wait "${flags[@]}"
# No controller runs here: the monitors apply started ended with it ('pending resource monitor');
# `berth controller` keeps them running and repairs what fails.
"$berth" status "${flags[@]}"
for ip in 127.0.1.236 127.0.1.237; do
  echo "http://$ip/ -> $(node -e "fetch('http://$ip/').then(r => r.text()).then(t => console.log(t.trim()), e => console.log('no answer: ' + e.message))")"
done

# Down: the resources are stopped through their executors before their containers stop.
"$berth" -f "$cib" resource disable web-bundle
"$berth" apply --wait "${flags[@]}"
"$berth" -f "$cib" resource delete web-bundle
"$berth" apply --wait "${flags[@]}"
