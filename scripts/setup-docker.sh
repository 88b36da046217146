#!/usr/bin/env bash
# Makes a Docker engine available for berth's end-to-end tests, on a fresh Debian machine too:
#   1. installs docker.io, busybox-static and iproute2 when missing (apt-get update once first);
#   2. mounts cgroups when nothing has (no systemd here);
#   3. starts dockerd when no engine answers on /var/run/docker.sock (in its own session, logging
#      to /var/log/berth-dockerd.log), with --storage-driver=vfs when overlay2 is not usable and
#      --iptables=false only when the daemon cannot start with iptables;
#   4. waits (60 s at most) for `docker version` to answer, then builds the test images
#      (scripts/make-test-image.sh, and scripts/make-pcmk-image.sh for resources inside bundles);
#   5. makes podman's Docker API available too (scripts/setup-podman.sh).
# It writes /run/berth/dockerd-started (the pid) only when it started dockerd itself, so that
# `scripts/setup-docker.sh --stop-if-started`, run once at the end of a test run, leaves the
# machine as it was found. Idempotent, quiet unless something fails (BERTH_SETUP_VERBOSE=1 prints
# each step and its time), serialised with flock so concurrent test files can all call it.
# BERTH_DOCKER_STORAGE_DRIVER=NAME forces the storage driver of a dockerd it starts.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOCK=/var/run/docker.sock
PIDFILE=/var/run/docker.pid
LOG=/var/log/berth-dockerd.log
MARKER_DIR=/run/berth
MARKER=$MARKER_DIR/dockerd-started
LOCK=/run/lock/berth-docker-setup.lock
WAIT=${BERTH_DOCKER_WAIT:-60}
DATA_ROOT=/var/lib/docker

SETUP_NAME=setup-docker
. "$here/setup-common.sh"
attempt=$out.dockerd # the daemon's log lines of the last failed start
trap 'rm -f "$out" "$attempt"' EXIT

engine_answers() { timeout 10 docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
is_dockerd() { is_program "${1:-}" dockerd; }

stop_if_started() { stop_started dockerd "$MARKER" 60; }

install_missing() {
  local need=()
  { command -v dockerd && command -v docker && command -v containerd && command -v runc; } >/dev/null || need+=(docker.io)
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || need+=(busybox-static)
  command -v ip >/dev/null || need+=(iproute2)
  apt_install ${need[@]+"${need[@]}"}
}

mount_cgroups() {
  grep -qE '^[^ ]+ [^ ]+ cgroup2? ' /proc/mounts && return 0
  say "mounting cgroups"
  if ! command -v cgroupfs-mount >/dev/null; then
    { run apt-get -o DPkg::Lock::Timeout=300 update && DEBIAN_FRONTEND=noninteractive run apt-get -o DPkg::Lock::Timeout=300 install -y cgroupfs-mount; } ||
      fail "no cgroups are mounted and cgroupfs-mount could not be installed"
  fi
  run cgroupfs-mount || fail "cgroupfs-mount failed"
}

# overlay2 needs an overlay mount to work on the data root's filesystem (it does not on top of
# another overlay, e.g. inside some containers); try one for real.
overlay_usable() {
  grep -qw overlay /proc/filesystems || modprobe overlay >/dev/null 2>&1 || return 1
  [ -d "$DATA_ROOT" ] || { mkdir -p "$DATA_ROOT" && chmod 710 "$DATA_ROOT"; }
  local d; d=$(mktemp -d "$DATA_ROOT/.berth-overlay-probe.XXXXXX")
  mkdir "$d/lower" "$d/upper" "$d/work" "$d/merged"
  local ok=1
  if mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged" >/dev/null 2>&1; then
    touch "$d/merged/probe" 2>/dev/null && ok=0
    umount "$d/merged" || true
  fi
  rm -rf "$d"
  return $ok
}

# Starts dockerd with the given flags; returns non-zero when it exits before answering.
launch() {
  touch "$LOG"
  local from; from=$(($(wc -l <"$LOG") + 1))
  echo "=== $(date -Is) scripts/setup-docker.sh starts: dockerd $*" >>"$LOG"
  # setsid: its own session, so the test runner's process-group kill does not reach it;
  # fd 8 and 9 (locks) closed so that dockerd does not hold them for its whole life.
  setsid dockerd "$@" </dev/null >>"$LOG" 2>&1 8>&- 9>&- &
  local pid=$!
  mkdir -p "$MARKER_DIR"
  echo "$pid" >"$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"
  local deadline=$((SECONDS + WAIT))
  while ((SECONDS < deadline)); do
    if engine_answers; then say "dockerd $pid answers"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$MARKER"
      tail -n +"$from" "$LOG" >"$attempt"
      cat "$attempt" >>"$out"
      return 1
    fi
    sleep 0.2
  done
  kill -TERM "$pid" 2>/dev/null || true
  rm -f "$MARKER"
  tail -n 40 "$LOG" >>"$out"
  fail "dockerd (pid $pid) did not answer on $SOCK within ${WAIT}s; see $LOG"
}

start_engine() {
  engine_answers && { say "engine already answers"; return 0; }
  # A dockerd that is still starting (ours from a run that timed out, or someone's): wait for it.
  local running; running=$(cat "$PIDFILE" 2>/dev/null || true)
  if is_dockerd "$running"; then
    say "waiting for the running dockerd $running"
    local deadline=$((SECONDS + WAIT))
    while ((SECONDS < deadline)); do engine_answers && return 0; is_dockerd "$running" || break; sleep 0.2; done
    engine_answers || fail "dockerd (pid $running) runs but does not answer on $SOCK; see $LOG"
    return 0
  fi
  rm -f "$PIDFILE" # stale: dockerd refuses to start while it exists
  mount_cgroups

  local flags=()
  : >"$attempt"
  if [ -n "${BERTH_DOCKER_STORAGE_DRIVER:-}" ]; then
    flags+=(--storage-driver="$BERTH_DOCKER_STORAGE_DRIVER")
  elif ! overlay_usable; then
    say "overlay2 not usable: vfs"; flags+=(--storage-driver=vfs)
  fi
  say "starting dockerd ${flags[*]:-}"
  launch "${flags[@]}" && return 0
  if grep -qiE 'overlay|graphdriver|storage.driver' "$attempt" && [[ " ${flags[*]:-} " != *vfs* ]]; then
    say "dockerd failed on its storage driver: retrying with vfs"
    local f kept=()
    for f in "${flags[@]}"; do [[ $f == --storage-driver=* ]] || kept+=("$f"); done
    flags=("${kept[@]}" --storage-driver=vfs)
    launch "${flags[@]}" && return 0
  fi
  if grep -qiE 'iptables|nat chain' "$attempt"; then
    say "dockerd failed on iptables: retrying with --iptables=false"
    flags+=(--iptables=false)
    launch "${flags[@]}" && return 0
  fi
  fail "dockerd exited before answering; see $LOG"
}

mkdir -p /run/lock "$(dirname "$LOG")"
exec 9>"$LOCK"
flock -w 900 9 || fail "timed out waiting for $LOCK"

case "${1:-}" in
  --stop-if-started) bash "$here/setup-podman.sh" --stop-if-started || true; stop_if_started; exit 0 ;;
  '') ;;
  *) fail "usage: $0 [--stop-if-started]" ;;
esac

[ "$(id -u)" = 0 ] || fail "must run as root (it installs packages and starts dockerd)"
install_missing
start_engine
say "building test images"
run bash "$here/make-test-image.sh" || fail "scripts/make-test-image.sh failed"
# The image for bundles that hold a resource (pacemaker-remoted, apache, Stateful): made from
# Debian's packages with debootstrap once (about 80 s), kept under /var/cache/berth.
say "pacemaker test image"
run bash "$here/make-pcmk-image.sh" || fail "scripts/make-pcmk-image.sh failed"
# podman's Docker API for `<podman>` bundles, with its own copy of the test images.
say "podman"
run bash "$here/setup-podman.sh" || fail "scripts/setup-podman.sh failed"
say "done"
