#!/usr/bin/env bash
# Builds the local test images berth-test/httpd:1 and berth-test/httpd:2 without any registry:
# a rootfs holding Debian's static busybox (all its applets as symlinks), an index page naming the
# image version, /etc/passwd, /etc/group and /tmp, imported with `docker import`. The default
# command serves /var/www/html on port 80 with busybox httpd.
#
# Quiet unless something fails. Skips an image whose label berth-test.hash already matches the
# hash of its inputs (the busybox binary and this script), so a second run costs two inspects.
# Needs a running engine and /bin/busybox from busybox-static (scripts/setup-docker.sh does both).
set -euo pipefail

BUSYBOX=${BERTH_TEST_BUSYBOX:-/bin/busybox}
VERSIONS=(1 2)
REPO=berth-test/httpd

fail() { echo "make-test-image: $*" >&2; exit 1; }

[ -x "$BUSYBOX" ] || fail "$BUSYBOX is missing: apt-get install busybox-static"
command -v docker >/dev/null || fail "the docker client is missing: apt-get install docker.io"

# Two concurrent runs must not both import (the loser would retag and leave a dangling image).
mkdir -p /run/lock
exec 8>/run/lock/berth-test-image.lock
flock -w 300 8 || fail "timed out waiting for /run/lock/berth-test-image.lock"

inputs_hash=$( { sha256sum "$BUSYBOX" | cut -d' ' -f1; sha256sum "$0" | cut -d' ' -f1; } | sha256sum | cut -c1-16)

work=$(mktemp -d /tmp/berth-test-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

build_one() {
  local version=$1 ref="$REPO:$1" hash="$inputs_hash-v$1" have
  have=$(docker image inspect -f '{{index .Config.Labels "berth-test.hash"}}' "$ref" 2>/dev/null || true)
  [ "$have" = "$hash" ] && return 0

  local root="$work/rootfs-$version"
  mkdir -p "$root"/{bin,etc,tmp,root,proc,sys,dev,var/www/html}
  chmod 1777 "$root/tmp"
  cp "$BUSYBOX" "$root/bin/busybox"
  local applet
  for applet in $("$BUSYBOX" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf '<html><body><h1>%s</h1></body></html>\n' "$ref" >"$root/var/www/html/index.html"

  tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - . |
    docker import \
      --change 'CMD ["busybox", "httpd", "-f", "-p", "80", "-h", "/var/www/html"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'EXPOSE 80' \
      --change "LABEL berth-test.hash=$hash berth-test.version=$version" \
      - "$ref" >"$work/import-$version.log" 2>&1 || { cat "$work/import-$version.log" >&2; fail "docker import of $ref failed"; }
  # A dynamically linked busybox (Debian's plain `busybox` package) cannot run in this rootfs.
  if ! docker run --rm --network none "$ref" busybox true >"$work/check-$version.log" 2>&1; then
    cat "$work/check-$version.log" >&2
    docker image rm "$ref" >/dev/null 2>&1 || true
    fail "$ref does not run: is $BUSYBOX from busybox-static (statically linked)?"
  fi
}

for v in "${VERSIONS[@]}"; do build_one "$v"; done
