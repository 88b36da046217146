#!/usr/bin/env bash
# Builds berth-test/pcmk:1, the test image for bundles that hold a resource, from Debian's own
# packages (no image registry is reachable): a bookworm rootfs made with debootstrap from the
# mirror apt already uses, holding the real pacemaker-remoted (2.1.5), Pacemaker's CLI tools
# (crm_attribute, which agents call for promotion scores), the OCF agents of resource-agents
# (ocf:heartbeat:apache) and of Pacemaker (ocf:pacemaker:Stateful, Dummy), and apache2 with wget
# (what the apache agent's monitor fetches /server-status with). Its command is
# /usr/sbin/pacemaker-remoted, as Pacemaker runs a bundle replica.
#
# The Debian rootfs is made once per package set and kept under /var/cache/berth; an image whose
# label berth-test.hash (a hash of this script) matches is not imported again. Quiet unless
# something fails. Needs a running engine (scripts/setup-docker.sh) and debootstrap.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

REF=berth-test/pcmk:1
CACHE=${BERTH_IMAGE_CACHE:-/var/cache/berth}
PACKAGES=pacemaker-remote,resource-agents,pacemaker-resource-agents,apache2,wget,iproute2,procps,busybox
LATER=pacemaker-cli-utils # installed with apt inside the rootfs: debootstrap cannot resolve it

fail() { echo "make-pcmk-image: $*" >&2; exit 1; }
command -v docker >/dev/null || fail "the docker client is missing: apt-get install docker.io"
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 || fail "cannot install debootstrap"
fi

mkdir -p /run/lock "$CACHE"
exec 9>/run/lock/berth-pcmk-image.lock
flock -w 900 9 || fail "timed out waiting for /run/lock/berth-pcmk-image.lock"

hash=$(sha256sum "$0" | cut -c1-16)
have=$(docker image inspect -f '{{index .Config.Labels "berth-test.hash"}}' "$REF" 2>/dev/null || true)
[ "$have" = "$hash" ] && exit 0

# The Debian part (slow: debootstrap and apt) is kept per package set; the tweaks below are
# applied to a copy of it each time this script changes.
base_hash=$(printf '%s %s' "$PACKAGES" "$LATER" | sha256sum | cut -c1-16)
base=$CACHE/pcmk-base-$base_hash
if [ ! -d "$base" ]; then
  # The mirror apt uses (deb822 sources first, then sources.list).
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  root=$(mktemp -d "$CACHE/pcmk-base.XXXXXX")
  log=$root.log
  trap 'rm -rf "$root" "$log"' EXIT
  debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" "$mirror" >"$log" 2>&1 || { tail -n 30 "$log" >&2; fail "debootstrap from $mirror failed"; }
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $LATER >>"$log" 2>&1 || { tail -n 30 "$log" >&2; fail "apt-get install $LATER in the rootfs failed"; }
  chroot "$root" apt-get clean >>"$log" 2>&1 || true
  rm -f "$root/etc/resolv.conf"
  rm -rf "$root/var/lib/apt/lists"/* "$root/var/cache/apt"/*.bin "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale"
  mv "$root" "$base"
  rm -f "$log"
  trap - EXIT
  # Bases of other package sets are of no use.
  find "$CACHE" -maxdepth 1 -name 'pcmk-base-*' ! -name "pcmk-base-$base_hash" -exec rm -rf {} +
fi

root=$(mktemp -d "$CACHE/pcmk-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
cp -a "$base/." "$root/"
# No key in the image: whoever runs it mounts the key (berth mounts the node's).
rm -f "$root/etc/pacemaker/authkey"
# Pacemaker mounts a directory of the host at /var/log: apache's log directory is made when the
# agent reads apache's environment (as images built for bundles do).
sed -i 's|^export APACHE_LOG_DIR=.*|export APACHE_LOG_DIR=/var/log/apache2$SUFFIX; mkdir -p "$APACHE_LOG_DIR"|' "$root/etc/apache2/envvars"
grep -q 'mkdir -p "$APACHE_LOG_DIR"' "$root/etc/apache2/envvars" || fail "cannot set apache's log directory in /etc/apache2/envvars"
echo 'ServerName localhost' >"$root/etc/apache2/conf-enabled/servername.conf"
mkdir -p "$root/var/log/pacemaker" "$root/var/www/html"
printf '<html><body><h1>%s</h1></body></html>\n' "$REF" >"$root/var/www/html/index.html"

tar -C "$root" --numeric-owner -cf - . | docker import \
  --change 'CMD ["/usr/sbin/pacemaker-remoted"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'EXPOSE 80 3121' \
  --change "LABEL berth-test.hash=$hash" \
  - "$REF" >/dev/null || fail "docker import of $REF failed"
rm -rf "$root"
trap - EXIT
docker run --rm --network none --entrypoint /usr/sbin/pacemaker-remoted "$REF" --version >/dev/null 2>&1 || fail "$REF does not run pacemaker-remoted"
