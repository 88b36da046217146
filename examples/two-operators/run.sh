#!/usr/bin/env bash
# Scenario S7: two operators pull the live CIB, edit their copies offline and push with
# diff-against. Edits to different things both land; edits to the same thing: the second push is
# refused, naming the conflict, and the live CIB stays as the first push left it.
# Uses a throw-away file store (BERTH_STORE); pass an etcd://HOST:PORT/PREFIX URL to use etcd.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
[ -f "$root/dist/berth.js" ] || bash "$root/scripts/setup.sh"
berth="$root/bin/berth"
work="$(mktemp -d)"
export BERTH_STORE="${1:-$work/store}"
cd "$work"

echo "== a live CIB with one bundle"
"$berth" property set stonith-enabled=false
"$berth" resource bundle create web container docker image=berth-test/httpd:1 replicas=2

echo "== alice and bob pull it"
"$berth" cluster cib alice.xml; cp alice.xml alice.xml.orig
"$berth" cluster cib bob.xml; cp bob.xml bob.xml.orig

echo "== different things: alice adds a bundle, bob scales web; both land"
"$berth" -f alice.xml resource bundle create api container docker image=berth-test/httpd:1
"$berth" -f bob.xml resource bundle update web container replicas=3
"$berth" cluster cib-push alice.xml diff-against=alice.xml.orig
"$berth" cluster cib-push bob.xml diff-against=bob.xml.orig
"$berth" resource config

echo "== the same thing: both pull again and set web's replicas"
"$berth" cluster cib alice.xml; cp alice.xml alice.xml.orig
"$berth" cluster cib bob.xml; cp bob.xml bob.xml.orig
"$berth" -f alice.xml resource bundle update web container replicas=5
"$berth" -f bob.xml resource bundle update web container replicas=1
"$berth" cluster cib-push alice.xml diff-against=alice.xml.orig
if "$berth" cluster cib-push bob.xml diff-against=bob.xml.orig; then
  echo "unexpected: bob's conflicting push landed" >&2; exit 1
else
  echo "(bob's push was refused, as it must be)"
fi
"$berth" cluster cib | grep -o 'replicas="[0-9]*"' | head -1
rm -rf "$work"
