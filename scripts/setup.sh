#!/usr/bin/env bash
# Install what berth and its tests need on a fresh Debian 12 machine: Debian packages (pcs and
# Pacemaker's CLI tools as references, OCF agents, Docker engine, etcd, busybox for test images, nftables and
# iputils-arping for the namespaced test cluster, chromium for the status page's browser tests)
# and the npm dependencies; then build. Idempotent and quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in pcs:pcs crm_verify:pacemaker-cli-utils crm_diff:pacemaker-cli-utils dockerd:docker.io etcd:etcd-server etcdctl:etcd-client busybox:busybox-static ip:iproute2 git:git flock:util-linux nsenter:util-linux /usr/bin/time:time nft:nftables iptables:iptables arping:iputils-arping pacemakerd:pacemaker chromium:chromium faketime:faketime; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
[ -d /usr/lib/ocf/resource.d/heartbeat ] || need+=(resource-agents)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The real pacemaker-remoted for the executor client's tests (test/remote), unpacked beside the
# system: the pacemaker-remote package conflicts with pacemaker (whose agents, ocf:pacemaker:remote
# among them, the CLI's tests read), so it is not installed. Its libraries come with pacemaker.
REMOTED_DIR=/opt/berth-pacemaker-remote
if [ ! -x "$REMOTED_DIR/usr/sbin/pacemaker-remoted" ]; then
  echo "setup: unpacking pacemaker-remote into $REMOTED_DIR" >&2
  debs=$(mktemp -d)
  (cd "$debs" && chmod 0777 . && apt-get download -qq pacemaker-remote >/dev/null 2>&1) || { apt-get update -qq >/dev/null; (cd "$debs" && apt-get download -qq pacemaker-remote >/dev/null); }
  dpkg -x "$debs"/pacemaker-remote_*.deb "$REMOTED_DIR"
  rm -rf "$debs"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
node scripts/build.mjs
