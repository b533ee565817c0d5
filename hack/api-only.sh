#!/usr/bin/env bash
# A bare Kubernetes API server (no nodes) for API-level checks of the add-on roles: server-side apply,
# idempotence, check mode, RBAC objects, and of the app role (tests/integration/app-role.sh). etcd runs from
# the lab bundle's etcd image (the tag kubeadm of the release asks for: registry.k8s.io/etcd:3.6.8-0 for
# 1.36.3), started the way kubeadm's static pod starts it (command `etcd`); kube-apiserver,
# kube-controller-manager and kube-scheduler are the binaries of hack/build-kubernetes.sh (K8S_VERSION, default
# 1.36.3, the lab's release). The controller manager fills in workload status (a DaemonSet with no node to run
# on is "rolled out"), deletes Jobs' pods on replacement, finalizes namespaces; pods stay Pending, since there
# are no nodes, and the scheduler says so in FailedScheduling events (what the app role's failed-rollout path
# reports).
#   hack/api-only.sh start   -> prints the kubeconfig path (a failed start cleans up after itself; a start while
#                               an API server of the same name runs, or its ports are taken, is refused)
#   hack/api-only.sh stop
# Environment: K8S_VERSION (default 1.36.3), API_ONLY_NAME (container/state prefix, default kubelift-api),
# API_ONLY_PORT (default 16443), API_ONLY_ETCD_PORT (default 23790), API_ONLY_APISERVER (the kube-apiserver
# binary; the scheduler is taken from its directory), API_ONLY_CONTROLLER_MANAGER, API_ONLY_ETCD_IMAGE,
# KUBELIFT_CACHE. An etcd image missing from the Docker engine is loaded from the lab bundle of the release.
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-1.36.3}
K8S_VERSION=${K8S_VERSION#v}
name=${API_ONLY_NAME:-kubelift-api}
port=${API_ONLY_PORT:-16443}
etcd_port=${API_ONLY_ETCD_PORT:-23790}
cache=${KUBELIFT_CACHE:-/var/cache/kubelift}
apiserver=${API_ONLY_APISERVER:-$cache/kubernetes-$K8S_VERSION/bin/kube-apiserver}
bin=$(dirname "$apiserver")
controller_manager=${API_ONLY_CONTROLLER_MANAGER:-$bin/kube-controller-manager}
bundle=$cache/bundles/kubernetes-$K8S_VERSION-amd64
state=${API_ONLY_STATE:-/tmp/$name}

# The etcd image kubeadm of this release uses (registry.k8s.io/etcd:3.6.8-0 for 1.36.3).
etcd_image() {
  if [[ -n ${API_ONLY_ETCD_IMAGE:-} ]]; then
    echo "$API_ONLY_ETCD_IMAGE"
  elif [[ -x $bin/kubeadm ]]; then
    "$bin/kubeadm" config images list --kubernetes-version "v$K8S_VERSION" --image-repository registry.k8s.io \
      2>/dev/null | grep '/etcd:' || true
  else
    echo registry.k8s.io/etcd:3.6.8-0
  fi
}

# Load the etcd image from the lab bundle when the Docker engine does not have it.
ensure_image() {
  local image=$1 archive
  docker image inspect "$image" >/dev/null 2>&1 && return 0
  archive=$(python3 - "$bundle/manifest.json" "$image" <<'PY' 2>/dev/null
import json, sys
manifest = json.load(open(sys.argv[1]))
print(next(i["file"] for i in manifest["images"] if i["name"] == sys.argv[2]))
PY
  ) || { echo "no $image in the Docker engine nor in $bundle: run hack/build-lab-bundle.sh" >&2; exit 1; }
  docker load -i "$bundle/$archive" >/dev/null
}

stop() {
  local component pid
  for component in scheduler controller-manager apiserver; do
    if [[ -f $state/$component.pid ]]; then
      pid=$(cat "$state/$component.pid")
      kill "$pid" 2>/dev/null || true
      # An API server that lost its etcd can hang in its graceful shutdown: it must not keep the port.
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$state/$component.pid"
    fi
  done
  docker rm -f "$name-etcd" >/dev/null 2>&1 || true
  rm -rf "$state"
}

# A port some other process listens on: another API-only server (another API_ONLY_NAME, or a concurrent run of
# the same script) that this one must not take over or break.
port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

start() {
  [[ -x $apiserver ]] || { echo "no kube-apiserver at $apiserver: run hack/build-kubernetes.sh" >&2; exit 1; }
  local etcd_image
  etcd_image=$(etcd_image)
  [[ -n $etcd_image ]] || { echo "kubeadm in $bin lists no etcd image for v$K8S_VERSION" >&2; exit 1; }
  ensure_image "$etcd_image"
  if [[ -f $state/apiserver.pid ]] && kill -0 "$(cat "$state/apiserver.pid")" 2>/dev/null; then
    echo "an API server named $name runs already (pid $(cat "$state/apiserver.pid"), a concurrent run?): set" \
      "another API_ONLY_NAME, API_ONLY_PORT and API_ONLY_ETCD_PORT, or stop a leftover: API_ONLY_NAME=$name $0 stop" >&2
    exit 1
  fi
  stop  # leftovers of an earlier run whose API server is gone
  for used in "$port" "$etcd_port" "$((etcd_port + 10))"; do
    if port_in_use "$used"; then
      echo "port $used is in use: another API server or etcd runs (a concurrent run?); stop it or set" \
        "API_ONLY_NAME, API_ONLY_PORT and API_ONLY_ETCD_PORT" >&2
      exit 1
    fi
  done
  mkdir -p "$state/certs"
  openssl genrsa -out "$state/sa.key" 2048 2>/dev/null
  openssl rsa -in "$state/sa.key" -pubout -out "$state/sa.pub" 2>/dev/null
  token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$token,admin,admin,system:masters" > "$state/tokens.csv"
  # As kubeadm's static pod runs it: the command `etcd` (found on the image's PATH, whatever its entrypoint), as
  # root, the data in a directory of its own (a tmpfs here; the image may be FROM scratch, without /tmp).
  docker run -d --name "$name-etcd" --network host --user 0:0 --tmpfs /var/lib/etcd:mode=0700 \
    --entrypoint etcd "$etcd_image" \
    --name "$name" --data-dir /var/lib/etcd --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$((etcd_port + 10))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 10))" \
    --initial-cluster "$name=http://127.0.0.1:$((etcd_port + 10))" >/dev/null
  # No --insecure-port (removed in 1.24); the service account issuer and keys are required since 1.20.
  "$apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$port" --cert-dir="$state/certs" \
    --service-cluster-ip-range=10.96.0.0/12 --authorization-mode=Node,RBAC --token-auth-file="$state/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$state/sa.pub" --service-account-signing-key-file="$state/sa.key" \
    >"$state/apiserver.log" 2>&1 &
  echo $! > "$state/apiserver.pid"
  cat > "$state/kubeconfig" <<KCFG
apiVersion: v1
kind: Config
clusters:
  - name: api-only
    cluster:
      server: https://127.0.0.1:$port
      insecure-skip-tls-verify: true
users:
  - name: admin
    user:
      token: $token
contexts:
  - name: api-only
    context: {cluster: api-only, user: admin}
current-context: api-only
KCFG
  for _ in $(seq 1 120); do
    kill -0 "$(cat "$state/apiserver.pid")" 2>/dev/null || break  # it exited (a flag it does not know?)
    if curl -ksf -H "Authorization: Bearer $token" "https://127.0.0.1:$port/readyz" >/dev/null; then
      # --secure-port=0: no serving endpoint (the insecure --port of 1.20 is gone from both).
      "$controller_manager" --kubeconfig="$state/kubeconfig" --leader-elect=false --bind-address=127.0.0.1 \
        --secure-port=0 --service-account-private-key-file="$state/sa.key" \
        --root-ca-file="$state/certs/apiserver.crt" --use-service-account-credentials=false \
        >"$state/controller-manager.log" 2>&1 &
      echo $! > "$state/controller-manager.pid"
      "$bin/kube-scheduler" --kubeconfig="$state/kubeconfig" --leader-elect=false \
        --secure-port=0 >"$state/scheduler.log" 2>&1 &
      echo $! > "$state/scheduler.pid"
      sleep 3  # a flag they do not know makes them exit at once
      for component in controller-manager scheduler; do
        if ! kill -0 "$(cat "$state/$component.pid")" 2>/dev/null; then
          echo "kube-$component exited; log: $state/$component.log" >&2
          tail -20 "$state/$component.log" >&2
          stop
          exit 1
        fi
      done
      echo "$state/kubeconfig"
      return 0
    fi
    sleep 1
  done
  echo "kube-apiserver did not become ready; log: $state/apiserver.log" >&2
  tail -20 "$state/apiserver.log" >&2
  echo "etcd ($etcd_image):" >&2
  docker logs --tail 10 "$name-etcd" >&2 2>&1 || true
  stop
  exit 1
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
