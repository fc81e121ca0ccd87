#!/usr/bin/env bash
# End-to-end test of one mesh on three kind clusters, where the internet is (docs/e2e.md):
#   e2e/kind/run.sh istio|linkerd|consul
# Creates the clusters with cloud-provider-kind for their load balancers, runs `pulumi up` for the fleet
# (e2e/kind/stacks/Pulumi.e2e-<mesh>.yaml) and for the two-version shop (examples/app-team) with a local
# backend, then proves: a cross-cluster call, locality failover when a cluster's shop is scaled to zero
# (Istio, Consul; Linkerd has none), a metrics-gated canary step, root rotation without a failed request,
# and a clean `pulumi destroy`. Every wait is bounded. Needs: docker, kind, cloud-provider-kind, kubectl,
# pulumi, python3 with the project's venv (README set-up). KEEP_CLUSTERS=1 leaves the clusters for a look.
set -euo pipefail

MESH="${1:?usage: e2e/kind/run.sh istio|linkerd|consul}"
case "$MESH" in istio | linkerd | consul) ;; *) echo "unknown mesh: $MESH" >&2 && exit 2 ;; esac

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/e2e/kind"
APP="$ROOT/examples/app-team"
STACK="e2e-$MESH"
CLUSTERS=(1 2 3)
NODE_IMAGE="${NODE_IMAGE:-kindest/node:v1.33.1}"
WORK="$(mktemp -d)"
export PULUMI_BACKEND_URL="file://$WORK/state"
export PULUMI_CONFIG_PASSPHRASE="e2e"
export PULUMI_SKIP_UPDATE_CHECK=1
mkdir -p "$WORK/state"

log() { printf '\n=== %s: %s\n' "$MESH" "$*"; }
fail() {
  printf 'FAILED (%s): %s\n' "$MESH" "$*" >&2
  exit 1
}
ctx() { echo "kind-e2e-$1"; }
k() {
  local cluster="$1"
  shift
  kubectl --context "$(ctx "$cluster")" "$@"
}

cleanup() {
  local code=$?
  if [ -n "${PORT_FORWARD:-}" ]; then kill "$PORT_FORWARD" 2>/dev/null || true; fi
  if [ -n "${CLOUD_PROVIDER:-}" ]; then kill "$CLOUD_PROVIDER" 2>/dev/null || true; fi
  rm -f "$ROOT/Pulumi.$STACK.yaml" "$APP/Pulumi.$STACK.yaml"
  if [ "${KEEP_CLUSTERS:-0}" != 1 ]; then
    for i in "${CLUSTERS[@]}"; do kind delete cluster --name "e2e-$i" >/dev/null 2>&1 || true; done
  fi
  exit "$code"
}
trap cleanup EXIT

create_clusters() {
  log "three kind clusters on kind's Docker network"
  for i in "${CLUSTERS[@]}"; do
    kind create cluster --name "e2e-$i" --image "$NODE_IMAGE" --wait 5m
  done
  # LoadBalancer Services (the east-west gateways) get addresses on the kind network.
  cloud-provider-kind >"$WORK/cloud-provider-kind.log" 2>&1 &
  CLOUD_PROVIDER=$!
}

fleet_up() {
  log "pulumi up: the fleet"
  cp "$HERE/stacks/Pulumi.$STACK.yaml" "$ROOT/Pulumi.$STACK.yaml"
  (cd "$ROOT" && pulumi stack init "$STACK" --secrets-provider passphrase && pulumi up --yes --skip-preview --stack "$STACK")
}

app_up() {
  log "pulumi up: the shop, v1 and v2, 10% on v2"
  (
    cd "$APP"
    pulumi install # the program's own venv (examples/app-team/requirements.txt: this checkout)
    pulumi stack init "$STACK" --secrets-provider passphrase
    pulumi config set --path 'pulumi:disable-default-providers[0]' kubernetes
    pulumi config set fleetStack "organization/meshfleet/$STACK"
    pulumi config set namespace shop
    pulumi config set stableImage ghcr.io/stefanprodan/podinfo:6.7.1
    pulumi config set canaryImage ghcr.io/stefanprodan/podinfo:6.8.0
    pulumi config set canaryWeight 10
    for i in "${CLUSTERS[@]}"; do
      kind get kubeconfig --name "e2e-$i" | pulumi config set --secret "kubeconfig-kind-$i"
    done
    pulumi up --yes --skip-preview
  )
  for i in "${CLUSTERS[@]}"; do
    k "$i" apply -f "$HERE/manifests/storefront.yaml" -f "$HERE/manifests/echo.yaml"
    rolled_out "$i" "${WORKLOADS[@]}"
  done
}

WORKLOADS=(shop-v1 shop-v2 storefront echo)
rolled_out() {
  local cluster="$1" deployment
  shift
  for deployment in "$@"; do
    k "$cluster" -n shop rollout status "deployment/$deployment" --timeout 5m
  done
}

# The hostname that answered one GET from the storefront of cluster $1 to URL $2 (podinfo's /api/info).
answer_from() {
  k "$1" -n shop exec deploy/storefront -c prober -- curl -sf -m 5 "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)["hostname"])'
}

pods_of() { k "$1" -n shop get pods -l "app=$2" -o jsonpath='{.items[*].metadata.name}'; }

# Twenty calls from cluster $1 to $2; each must succeed and be answered by a pod of cluster $3.
expect_answers_from() {
  local from="$1" url="$2" cluster="$3" app="$4" pods host
  pods=" $(pods_of "$cluster" "$app") "
  for _ in $(seq 20); do
    host="$(answer_from "$from" "$url")" || fail "a call from kind-$from to $url failed"
    [[ "$pods" == *" $host "* ]] || fail "kind-$from's call to $url was answered by $host, not by kind-$cluster ($pods)"
  done
  echo "kind-$from -> $url: 20 of 20 answered by kind-$cluster"
}

scale_shop() {
  k "$1" -n shop scale deployment shop-v1 shop-v2 --replicas "$2"
  rolled_out "$1" shop-v1 shop-v2
}

wait_until_gone() {
  local cluster="$1"
  for _ in $(seq 60); do
    [ -z "$(pods_of "$cluster" shop)" ] && return 0
    sleep 2
  done
  fail "kind-$cluster's shop pods did not terminate"
}

cross_cluster_call() {
  if [ "$MESH" = linkerd ]; then
    log "cross-cluster call: kind-1 -> echo-kind-2 (the mirror of kind-2's exported echo)"
    expect_answers_from 1 http://echo-kind-2.shop.svc.cluster.local/api/info 2 echo
    return
  fi
  log "cross-cluster call: kind-3's shop scaled to zero, its storefront is answered by kind-1 (local-3 fails over to local-1)"
  answered_elsewhere 3 1
}

# With cluster $1's shop scaled to zero, its storefront's calls to the shop are answered by cluster $2.
answered_elsewhere() {
  scale_shop "$1" 0
  wait_until_gone "$1"
  expect_answers_from "$1" http://shop.shop.svc.cluster.local/api/info "$2" shop
  scale_shop "$1" 2
}

locality_failover() {
  if [ "$MESH" = linkerd ]; then
    log "locality failover: not on Linkerd, which has no cross-cluster failover (docs/linkerd.md, \"Locality\")"
    return
  fi
  log "locality failover: kind-1's shop scaled to zero, kind-1 is answered by kind-2 (local-1 fails over to local-2, not local-3)"
  answered_elsewhere 1 2
}

canary_step() {
  log "metrics-gated canary: the gate reads kind-1's Prometheus and moves the canary from 10 to 50"
  k 1 apply -f "$HERE/manifests/prometheus.yaml"
  k 1 -n monitoring rollout status deployment/prometheus --timeout 5m
  k 1 -n monitoring port-forward svc/prometheus 9090:9090 >"$WORK/port-forward.log" 2>&1 &
  PORT_FORWARD=$!
  sleep 150 # the gate's two-minute window, filled by the prober
  local code=0
  (cd "$ROOT" && venv/bin/python -m components.canary --config "$HERE/canary-$MESH.yaml" --cwd "$APP") || code=$?
  [ "$code" = 0 ] || fail "the canary gate did not advance (exit $code; components/canary/gate.py)"
  [ "$(cd "$APP" && pulumi config get canaryWeight)" = 50 ] || fail "the gate did not set canaryWeight to 50"
  (cd "$APP" && pulumi up --yes --skip-preview)
  [ "$(cd "$APP" && pulumi stack output weights --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["v2"])')" = 50 ] ||
    fail "the shop does not route 50% to v2 after pulumi up"
}

# Meshes whose proxies load the trust bundle at start need their workloads restarted at some steps
# (docs/rotation.md): Linkerd after steps 1 and 3, Consul between steps 1 and 2. The probers' logs are
# kept before each restart, since a restart replaces the prober too.
SINCE=""
collect_probes() {
  for i in "${CLUSTERS[@]}"; do
    k "$i" -n shop logs deploy/storefront -c prober --since-time "$SINCE" >>"$WORK/probes.log"
  done
  SINCE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

restart_workloads() {
  collect_probes
  for i in "${CLUSTERS[@]}"; do
    k "$i" -n shop rollout restart deployment
    rolled_out "$i" "${WORKLOADS[@]}"
  done
}

rotation_step() {
  log "root rotation, step $1"
  shift
  (cd "$ROOT" && "$@" && pulumi up --yes --skip-preview --stack "$STACK")
}

root_rotation() {
  SINCE="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  : >"$WORK/probes.log"
  rotation_step 1 pulumi config set --stack "$STACK" --path 'meshfleet:trust.roots[1].name' e2e-root-2
  if [ "$MESH" != istio ]; then restart_workloads; fi
  rotation_step 2 pulumi config set --stack "$STACK" --path 'meshfleet:trust.signingRoot' e2e-root-2
  rotation_step 3 pulumi config rm --stack "$STACK" --path 'meshfleet:trust.roots[0]'
  if [ "$MESH" = linkerd ]; then restart_workloads; fi
  sleep 30
  collect_probes
  local total failed
  total="$(grep -c '^probe ' "$WORK/probes.log" || true)"
  failed="$(grep '^probe ' "$WORK/probes.log" | grep -vc ' 200$' || true)"
  echo "root rotation: $total requests, $failed failed"
  [ "$total" -gt 300 ] || fail "too few probe requests during the rotation ($total)"
  [ "$failed" = 0 ] || fail "$failed requests failed during the root rotation (see $WORK/probes.log)"
}

destroy() {
  log "pulumi destroy: the shop, then the fleet"
  (cd "$APP" && pulumi destroy --yes --skip-preview && pulumi stack rm --yes "$STACK")
  (cd "$ROOT" && pulumi destroy --yes --skip-preview --stack "$STACK")
  local left
  left="$(cd "$ROOT" && pulumi stack export --stack "$STACK" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["deployment"].get("resources") or []))')"
  [ "$left" = 0 ] || fail "pulumi destroy left $left resources in the state"
  (cd "$ROOT" && pulumi stack rm --yes "$STACK")
}

create_clusters
fleet_up
app_up
cross_cluster_call
locality_failover
canary_step
root_rotation
destroy
log "passed"
