#!/usr/bin/env bash
# A bare Kubernetes API server (no nodes) for API-level checks of the add-on roles: server-side apply,
# idempotence, check mode, RBAC objects, and of the app role (tests/integration/app-role.sh). etcd runs from
# the lab bundle's etcd image; kube-apiserver,
# kube-controller-manager and kube-scheduler are the binaries of hack/build-kubernetes.sh (v1.20.2, the lab's
# API server). The controller manager fills in workload status (a DaemonSet with no node to run on is "rolled
# out"), deletes Jobs' pods on replacement, finalizes namespaces; pods stay Pending, since there are no nodes,
# and the scheduler says so in FailedScheduling events (what the app role's failed-rollout path reports).
#   hack/api-only.sh start   -> prints the kubeconfig path
#   hack/api-only.sh stop
# Environment: API_ONLY_NAME (container/state prefix, default kubelift-api), API_ONLY_PORT (default 16443),
# API_ONLY_ETCD_PORT (default 23790), KUBELIFT_CACHE.
set -euo pipefail
name=${API_ONLY_NAME:-kubelift-api}
port=${API_ONLY_PORT:-16443}
etcd_port=${API_ONLY_ETCD_PORT:-23790}
cache=${KUBELIFT_CACHE:-/var/cache/kubelift}
apiserver=${API_ONLY_APISERVER:-$cache/kubernetes-1.20.2/bin/kube-apiserver}
controller_manager=${API_ONLY_CONTROLLER_MANAGER:-$(dirname "$apiserver")/kube-controller-manager}
etcd_image=${API_ONLY_ETCD_IMAGE:-registry.k8s.io/etcd:3.4.13-0}
state=${API_ONLY_STATE:-/tmp/$name}

stop() {
  for component in scheduler controller-manager apiserver; do
    if [[ -f $state/$component.pid ]]; then
      kill "$(cat "$state/$component.pid")" 2>/dev/null || true
      rm -f "$state/$component.pid"
    fi
  done
  docker rm -f "$name-etcd" >/dev/null 2>&1 || true
  rm -rf "$state"
}

start() {
  [[ -x $apiserver ]] || { echo "no kube-apiserver at $apiserver: run hack/build-kubernetes.sh" >&2; exit 1; }
  stop
  mkdir -p "$state/certs"
  openssl genrsa -out "$state/sa.key" 2048 2>/dev/null
  openssl rsa -in "$state/sa.key" -pubout -out "$state/sa.pub" 2>/dev/null
  token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$token,admin,admin,system:masters" > "$state/tokens.csv"
  docker run -d --name "$name-etcd" --network host "$etcd_image" etcd \
    --data-dir /tmp/etcd --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$((etcd_port + 10))" \
    >/dev/null
  "$apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$port" --insecure-port=0 --cert-dir="$state/certs" \
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
  for _ in $(seq 1 60); do
    if curl -ksf -H "Authorization: Bearer $token" "https://127.0.0.1:$port/readyz" >/dev/null; then
      "$controller_manager" --kubeconfig="$state/kubeconfig" --leader-elect=false --bind-address=127.0.0.1 \
        --secure-port=0 --port=0 --service-account-private-key-file="$state/sa.key" \
        --root-ca-file="$state/certs/apiserver.crt" --use-service-account-credentials=false \
        >"$state/controller-manager.log" 2>&1 &
      echo $! > "$state/controller-manager.pid"
      "$(dirname "$apiserver")/kube-scheduler" --kubeconfig="$state/kubeconfig" --leader-elect=false --port=0 \
        --secure-port=0 >"$state/scheduler.log" 2>&1 &
      echo $! > "$state/scheduler.pid"
      echo "$state/kubeconfig"
      return 0
    fi
    sleep 1
  done
  echo "kube-apiserver did not become ready; log: $state/apiserver.log" >&2
  tail -20 "$state/apiserver.log" >&2
  exit 1
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
