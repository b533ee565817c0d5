#!/usr/bin/env bash
# A control plane without nodes, for API-level tests of the app role: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler from the cached Kubernetes build (hack/build-kubernetes.sh),
# etcd from Debian's etcd-server package (unpacked, not installed). Deployments, ReplicaSets and pods exist
# and move through the API like on a real cluster; pods stay Pending (no node), which makes every rollout
# with replicas > 0 fail: exactly what the rollback path needs.
#
#   tests/integration/api-only-cluster.sh start   # prints the kubeconfig path
#   tests/integration/api-only-cluster.sh stop
#
# State and logs in $API_DIR (default /tmp/kubelift-api-only); ports from $API_PORT (default 26443) and
# $ETCD_PORT (default 24790, peer port + 10), so several copies can run side by side.
set -euo pipefail

KUBELIFT_CACHE=${KUBELIFT_CACHE:-/var/cache/kubelift}
K8S_VERSION=${K8S_VERSION:-1.20.2}
API_DIR=${API_DIR:-/tmp/kubelift-api-only}
API_PORT=${API_PORT:-26443}
ETCD_PORT=${ETCD_PORT:-24790}
bin="$KUBELIFT_CACHE/kubernetes-$K8S_VERSION/bin"

stop() {
  for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do
    if [[ -f "$API_DIR/$name.pid" ]]; then
      kill "$(cat "$API_DIR/$name.pid")" 2>/dev/null || true
      rm -f "$API_DIR/$name.pid"
    fi
  done
}

etcd_binary() {
  if command -v etcd >/dev/null; then
    command -v etcd
    return
  fi
  local dir="$KUBELIFT_CACHE/etcd-server"
  if [[ ! -x "$dir/usr/bin/etcd" ]]; then
    mkdir -p "$dir"
    (cd "$dir" && apt-get download -q etcd-server >/dev/null 2>&1 && dpkg -x etcd-server_*.deb . && rm -f etcd-server_*.deb)
  fi
  echo "$dir/usr/bin/etcd"
}

start() {
  [[ -x "$bin/kube-apiserver" ]] || { echo "no Kubernetes build in $bin: run hack/build-kubernetes.sh" >&2; exit 1; }
  stop
  rm -rf "$API_DIR"
  mkdir -p "$API_DIR/certs"
  local token
  token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$token,kubelift-admin,kubelift-admin,system:masters" >"$API_DIR/tokens.csv"
  openssl genrsa -out "$API_DIR/sa.key" 2048 2>/dev/null
  openssl rsa -in "$API_DIR/sa.key" -pubout -out "$API_DIR/sa.pub" 2>/dev/null
  cat >"$API_DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: api-only
    cluster:
      server: https://127.0.0.1:$API_PORT
      insecure-skip-tls-verify: true
users:
  - name: admin
    user:
      token: $token
contexts:
  - name: api-only
    context: {cluster: api-only, user: admin}
current-context: api-only
EOF
  chmod 600 "$API_DIR/kubeconfig" "$API_DIR/tokens.csv"

  "$(etcd_binary)" --data-dir "$API_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" >"$API_DIR/etcd.log" 2>&1 &
  echo $! >"$API_DIR/etcd.pid"

  "$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" --insecure-port=0 \
    --cert-dir="$API_DIR/certs" --token-auth-file="$API_DIR/tokens.csv" --authorization-mode=RBAC \
    --service-cluster-ip-range=10.196.0.0/16 \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$API_DIR/sa.pub" --service-account-signing-key-file="$API_DIR/sa.key" \
    >"$API_DIR/kube-apiserver.log" 2>&1 &
  echo $! >"$API_DIR/kube-apiserver.pid"

  local i
  for i in $(seq 60); do
    if "$bin/kubectl" --kubeconfig "$API_DIR/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
      break
    fi
    sleep 1
  done
  "$bin/kubectl" --kubeconfig "$API_DIR/kubeconfig" get --raw /readyz >/dev/null

  "$bin/kube-controller-manager" --kubeconfig="$API_DIR/kubeconfig" --leader-elect=false --port=0 \
    --secure-port=0 --service-account-private-key-file="$API_DIR/sa.key" --use-service-account-credentials=false \
    --controllers='*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service' \
    >"$API_DIR/kube-controller-manager.log" 2>&1 &
  echo $! >"$API_DIR/kube-controller-manager.pid"
  "$bin/kube-scheduler" --kubeconfig="$API_DIR/kubeconfig" --leader-elect=false --port=0 --secure-port=0 \
    >"$API_DIR/kube-scheduler.log" 2>&1 &
  echo $! >"$API_DIR/kube-scheduler.pid"
  echo "$API_DIR/kubeconfig"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
