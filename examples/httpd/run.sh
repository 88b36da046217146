#!/usr/bin/env bash
# The httpd bundle of Red Hat's bundle chapter, on loopback: build berth, create the CIB with the
# pcs grammar, validate it, check it with Pacemaker's crm_verify, and print it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
bash "$root/scripts/setup.sh"
berth="$root/bin/berth"
work="${BERTH_EXAMPLE_DIR:-$(mktemp -d)}"
cib="$work/httpd.xml"
rm -f "$cib"
"$berth" -f "$cib" property set stonith-enabled=false
"$berth" -f "$cib" resource bundle create httpd-bundle \
  container docker image=berth-test/httpd:1 replicas=3 replicas-per-host=3 \
  network ip-range-start=127.0.1.131 host-netmask=32 host-interface=lo \
  port-map port=80 \
  storage-map source-dir-root="$work/www" target-dir=/var/www/html options=rw
"$berth" cib validate "$cib"
crm_verify --xml-file "$cib" && echo "crm_verify: $cib passes"
cat "$cib"
