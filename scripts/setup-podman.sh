#!/usr/bin/env bash
# Makes podman's Docker-compatible API available for berth's end-to-end tests (`<podman>` bundles
# run on it: docs/bundles.md, "Which engine"), on a fresh Debian machine too:
#   1. installs podman and catatonit (its `--init`) when missing (apt-get update once first);
#   2. writes /etc/containers/containers.conf.d/berth-test-ulimits.conf: as root, podman raises
#      each container's nofile and nproc limits above what a confined host allows ("error setting
#      rlimit type 7: operation not permitted"); the drop-in asks for the host's own hard limits;
#   3. copies the test images (berth-test/httpd:1 and :2, built for Docker by
#      scripts/make-test-image.sh) into podman's store with `docker save | podman load`, skipping
#      an image whose id podman already has;
#   4. starts `podman system service --time=0` on unix:///run/podman/podman.sock when nothing
#      answers there (in its own session, logging to /var/log/berth-podman.log).
# It writes /run/berth/podman-started (the pid) only when it started the service itself, so that
# `scripts/setup-podman.sh --stop-if-started` (called by `scripts/setup-docker.sh
# --stop-if-started`) leaves the machine as it was found. Needs the Docker engine and its test
# images (scripts/setup-docker.sh calls this script last). Idempotent, quiet unless something
# fails (BERTH_SETUP_VERBOSE=1 prints each step), serialised with flock.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

SOCK=/run/podman/podman.sock
LOG=/var/log/berth-podman.log
MARKER_DIR=/run/berth
MARKER=$MARKER_DIR/podman-started
CHECKED=$MARKER_DIR/podman-runs # a container started on podman once since boot
LOCK=/run/lock/berth-podman-setup.lock
DROPIN=/etc/containers/containers.conf.d/berth-test-ulimits.conf
IMAGES=(berth-test/httpd:1 berth-test/httpd:2 berth-test/pcmk:1)
WAIT=${BERTH_PODMAN_WAIT:-30}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SETUP_NAME=setup-podman
. "$here/setup-common.sh"
trap 'rm -f "$out"' EXIT

# The API answers: /_ping says OK.
service_answers() { [ "$(timeout 5 curl -s --unix-socket "$SOCK" http://d/_ping 2>/dev/null)" = OK ]; }
is_podman() { is_program "${1:-}" podman; }

stop_if_started() { stop_started podman "$MARKER" 30; }

install_missing() {
  local need=()
  command -v podman >/dev/null || need+=(podman)
  # podman's init for `--init` (every e2e bundle asks for it)
  [ -x /usr/libexec/podman/catatonit ] || [ -x /usr/bin/catatonit ] || need+=(catatonit)
  command -v curl >/dev/null || need+=(curl)
  apt_install ${need[@]+"${need[@]}"}
}

write_ulimits() {
  local nofile nproc want
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] && nofile=1048576
  # podman sets nproc to its own default when asked for more than the host has; the host's hard
  # nofile is a value every host here accepts for both.
  [ "$nproc" = unlimited ] || [ "$nproc" -gt "$nofile" ] && nproc=$nofile
  want=$(printf '# written by berth scripts/setup-podman.sh: container limits this host allows\n[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$nofile" "$nofile" "$nproc" "$nproc")
  [ "$(cat "$DROPIN" 2>/dev/null)" = "$want" ] && return 0
  say "writing $DROPIN"
  mkdir -p "$(dirname "$DROPIN")"
  printf '%s\n' "$want" >"$DROPIN.tmp" && mv "$DROPIN.tmp" "$DROPIN"
  rm -f "$CHECKED"
  # A service started before the drop-in does not read it.
  if service_answers && [ -f "$MARKER" ]; then stop_if_started; fi
}

copy_images() {
  local ref id
  for ref in "${IMAGES[@]}"; do
    id=$(docker image inspect -f '{{.Id}}' "$ref") || fail "$ref is missing in Docker: run scripts/setup-docker.sh"
    [ "$(podman image inspect -f '{{.Id}}' "$ref" 2>/dev/null)" = "${id#sha256:}" ] && continue
    say "copying $ref into podman"
    docker save "$ref" | run podman load || fail "podman load of $ref failed"
  done
}

start_service() {
  service_answers && { say "podman service already answers"; return 0; }
  local running; running=$(cat "$MARKER" 2>/dev/null || true)
  if is_podman "$running"; then kill -TERM "$running" 2>/dev/null || true; sleep 1; fi
  mkdir -p "$(dirname "$SOCK")" "$MARKER_DIR" "$(dirname "$LOG")"
  rm -f "$SOCK"
  echo "=== $(date -Is) scripts/setup-podman.sh starts: podman system service --time=0 unix://$SOCK" >>"$LOG"
  # from /: conmon inherits the service's working directory, and every container start fails
  # ("Failed to get working directory", "write child: broken pipe") once that directory is gone
  # (a checkout removed while the service runs on)
  (cd / && exec setsid podman system service --time=0 "unix://$SOCK" </dev/null >>"$LOG" 2>&1 8>&- 9>&-) &
  local pid=$!
  echo "$pid" >"$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"
  local deadline=$((SECONDS + WAIT))
  while ((SECONDS < deadline)); do
    service_answers && { say "podman service $pid answers"; return 0; }
    kill -0 "$pid" 2>/dev/null || { rm -f "$MARKER"; tail -n 20 "$LOG" >>"$out"; fail "podman system service exited; see $LOG"; }
    sleep 0.2
  done
  fail "podman system service (pid $pid) did not answer on $SOCK within ${WAIT}s; see $LOG"
}

# A container on podman starts with the limits of the drop-in (the check the drop-in is for).
check_runs() {
  run podman run --rm --network none "${IMAGES[0]}" true || fail "a container does not start on podman"
}

mkdir -p /run/lock
exec 9>"$LOCK"
flock -w 600 9 || fail "timed out waiting for $LOCK"

case "${1:-}" in
  --stop-if-started) stop_if_started; exit 0 ;;
  '') ;;
  *) fail "usage: $0 [--stop-if-started]" ;;
esac

[ "$(id -u)" = 0 ] || fail "must run as root (it installs packages and starts podman's service)"
install_missing
write_ulimits
copy_images
start_service
[ -f "$CHECKED" ] || { check_runs; : >"$CHECKED"; }
say "done"
