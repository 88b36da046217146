#!/usr/bin/env bash
# GitOps in one run (scenario S6): a git repository holding cib.xml — written with berth's pcs
# grammar — and one sync into a live CIB store; then a commit that scales out, shown by
# `gitops diff` and synced; then a broken commit, refused. Everything lives in a temporary
# directory that is removed at the end.
#
#   bash examples/gitops/run.sh              the CIB side only (no engine needed)
#   bash examples/gitops/run.sh --converge   also run the replicas on this node's Docker engine
#                                            (127.0.1.220-.222 on lo; needs root) and fetch
#                                            their pages; the containers and addresses are removed
#                                            at the end
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
converge=false
[ "${1:-}" = "--converge" ] && converge=true

[ -f "$root/dist/berth.js" ] || node "$root/scripts/build.mjs" --no-typecheck
berth() { node "$root/bin/berth" "$@"; }
gitops() { node "$root/bin/berth" gitops "$@"; }

work="$(mktemp -d /tmp/berth-gitops-example.XXXXXX)"
repo="$work/repo"
S=(--store "$work/store" --cache-dir "$work/cache")
N=(--store "$work/store" --node "example-gitops-$$" --state-dir "$work/node")
label="berth.example=gitops-$$"
cleanup() {
  set +e
  if $converge; then
    # the bundle leaves the source: gitops prunes it (the source created it), apply removes it
    berth -f "$repo/cib.xml" resource delete web >/dev/null 2>&1 && git -C "$repo" commit -qam "web: removed" &&
      gitops run --once --source "$repo" "${S[@]}" >/dev/null 2>&1 && berth apply --wait "${N[@]}" >/dev/null 2>&1
    ids=$(docker ps -aq --filter "label=$label" 2>/dev/null)
    [ -n "$ids" ] && docker rm -f -v $ids >/dev/null
    for i in 220 221 222; do ip addr del "127.0.1.$i/32" dev lo 2>/dev/null; done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
export GIT_AUTHOR_NAME=example GIT_AUTHOR_EMAIL=example@example.org GIT_COMMITTER_NAME=example GIT_COMMITTER_EMAIL=example@example.org

step "a git repository with cib.xml, written with the pcs grammar"
git init -q --initial-branch=main "$repo"
berth -f "$repo/cib.xml" property set stonith-enabled=false
berth -f "$repo/cib.xml" resource bundle create web container docker image=berth-test/httpd:1 \
  replicas=2 replicas-per-host=3 options="--init -l $label" \
  network ip-range-start=127.0.1.220 host-interface=lo host-netmask=32 port-map port=80
echo '{"drift": "repair", "prune": true}' > "$repo/berth-gitops.json"
git -C "$repo" add cib.xml berth-gitops.json
git -C "$repo" commit -qm "web: 2 replicas"
git -C "$repo" log --oneline

step "berth gitops run --once: the first sync"
gitops run --once --source "$repo" "${S[@]}"

step "berth gitops status"
gitops status --store "$work/store"

if $converge; then
  step "berth apply --wait: the replicas run"
  berth apply --wait "${N[@]}"
  for i in 220 221; do echo "http://127.0.1.$i/ -> $(curl -s --max-time 2 "http://127.0.1.$i/" | head -c 60)"; done
fi

step "a commit: 3 replicas; berth gitops diff shows what a sync would do (exit 1: changes pending)"
berth -f "$repo/cib.xml" resource bundle update web container replicas=3
git -C "$repo" commit -qam "web: 3 replicas"
gitops diff "${S[@]}" || echo "(exit $?)"

step "berth gitops run --once"
gitops run --once --source "$repo" "${S[@]}"
if $converge; then
  berth apply --wait "${N[@]}"
  echo "http://127.0.1.222/ -> $(curl -s --max-time 2 http://127.0.1.222/ | head -c 60)"
fi

step "a broken commit (replicas=two) is refused; the live CIB keeps 3 replicas"
sed -i 's/replicas="3"/replicas="two"/' "$repo/cib.xml"
git -C "$repo" commit -qam "oops"
gitops run --once --source "$repo" "${S[@]}" || echo "(exit $?: refused)"
berth cluster cib --store "$work/store" | grep -o 'replicas="[0-9-]*"' | head -1
git -C "$repo" revert --no-edit HEAD >/dev/null
gitops run --once --source "$repo" "${S[@]}"
