#!/usr/bin/env bash
# Scenario S1 on this node with berth's CLI: the httpd bundle of Red Hat's bundle chapter, on
# loopback. Three replicas (single node: replicas-per-host=3) at 127.0.1.131, .132 and .133, each
# serving the index page of its own directory <dir>/www/httpd-bundle-<i>/. Prints the three URLs
# and `berth status`. A second run changes nothing ("Nothing to do").
#
#   bash examples/s1-httpd/up.sh            # up (after scripts/setup.sh and setup-docker.sh)
#   bash examples/s1-httpd/up.sh down       # remove the containers and addresses (data stays)
#
# The bundle goes into this node's live CIB (the store in BERTH_STORE, default
# file:///var/lib/berth), the way an operator edits a cluster: pull it, edit offline with the pcs
# grammar, push the difference. So `berth status` and `berth plan` in the same shell, with no
# flags, talk about the same cluster. BERTH_EXAMPLE_DIR (default /var/lib/berth/examples/s1-httpd)
# holds the pages and the edited copy; berth's node state is in BERTH_STATE_DIR (default
# /var/lib/berth/node).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
berth="${BERTH_BIN:-$root/bin/berth}"
dir="${BERTH_EXAMPLE_DIR:-/var/lib/berth/examples/s1-httpd}"
www="$dir/www"

# A fresh machine: Node, the build, a Docker engine and the test image (all idempotent, quiet).
bash "$root/scripts/setup.sh" >/dev/null
bash "$root/scripts/setup-docker.sh"

mkdir -p "$dir"
if [ "${1:-}" = down ]; then
  if "$berth" resource config httpd-bundle >/dev/null 2>&1; then "$berth" resource delete httpd-bundle >/dev/null; fi
  "$berth" apply --wait
  exit 0
fi

# Each replica's own page, written once (a second run leaves them alone).
for i in 0 1 2; do
  page="$www/httpd-bundle-$i/index.html"
  [ -f "$page" ] || { mkdir -p "$(dirname "$page")"; printf '<html><body><h1>httpd-bundle-%s</h1><p>served from %s</p></body></html>\n' "$i" "$(dirname "$page")" >"$page"; }
done

# The CIB, with the pcs grammar, created once. --init: busybox httpd as PID 1 ignores SIGTERM,
# so without an init every stop would wait the engine's 10 s grace period.
# Pull the live CIB, add the bundle to the copy offline, push only the difference.
"$berth" cluster cib "$dir/cib.xml"
if ! grep -q 'id="httpd-bundle"' "$dir/cib.xml"; then
  cp "$dir/cib.xml" "$dir/cib.xml.orig"
  "$berth" -f "$dir/cib.xml" property set stonith-enabled=false
  "$berth" -f "$dir/cib.xml" resource bundle create httpd-bundle \
    container docker image=berth-test/httpd:1 replicas=3 replicas-per-host=3 \
      options='--init --health-cmd "wget -q -O /dev/null http://127.0.0.1/" --health-interval 2s' \
    network ip-range-start=127.0.1.131 host-netmask=32 host-interface=lo \
    port-map port=80 \
    storage-map source-dir-root="$www" target-dir=/var/www/html options=rw
  "$berth" cib validate "$dir/cib.xml" >/dev/null
  "$berth" cluster cib-push "$dir/cib.xml" diff-against="$dir/cib.xml.orig"
fi

"$berth" apply --wait

echo
for i in 1 2 3; do
  url="http://127.0.1.13$i/"
  printf '%s  ' "$url"
  curl -fsS --max-time 5 "$url" | sed -e 's/<[^>]*>/ /g' -e 's/  */ /g' -e 's/^ //'
done
echo
"$berth" status
