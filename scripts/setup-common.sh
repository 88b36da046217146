# Sourced by scripts/setup-docker.sh and scripts/setup-podman.sh: quiet steps whose output is shown
# only when something fails. Set SETUP_NAME before sourcing; it makes $out (a step's output:
# the script removes it in its EXIT trap) and $t0.
out=$(mktemp "/tmp/berth-$SETUP_NAME.XXXXXX")
t0=$(date +%s%N)

say() { [ -z "${BERTH_SETUP_VERBOSE:-}" ] || echo "$SETUP_NAME: +$(( ($(date +%s%N) - t0) / 1000000 ))ms $*" >&2; }
fail() {
  echo "$SETUP_NAME: $*" >&2
  if [ -s "$out" ]; then echo "--- last output:" >&2; tail -n 40 "$out" >&2; fi
  exit 1
}
# Quiet: a step's output is kept and shown only when something fails.
run() { "$@" >>"$out" 2>&1; }

# Whether pid $1 runs the program named $2.
is_program() { [ -n "${1:-}" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }

# Stops the daemon (program $1) whose pid the marker file $2 holds, if this setup started it:
# SIGTERM, up to $3 seconds, then SIGKILL. Removes the marker.
stop_started() {
  local program=$1 marker=$2 wait=$3 pid
  [ -f "$marker" ] || return 0
  pid=$(cat "$marker")
  if is_program "$pid" "$program"; then
    say "stopping $program $pid"
    kill -TERM "$pid"
    local deadline=$((SECONDS + wait))
    while is_program "$pid" "$program" && ((SECONDS < deadline)); do sleep 0.2; done
    if is_program "$pid" "$program"; then kill -KILL "$pid"; sleep 0.5; fi
  fi
  rm -f "$marker"
}

# Installs the Debian packages named (none: nothing to do), apt-get update first.
apt_install() {
  (($#)) || return 0
  say "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  run apt-get -o DPkg::Lock::Timeout=300 update || fail "apt-get update failed"
  run apt-get -o DPkg::Lock::Timeout=300 install -y "$@" || fail "apt-get install $* failed"
}
