#!/usr/bin/env bash
# API-level check of the add-on roles: playbooks/addons.yml against a bare Kubernetes API server of K8S_VERSION
# (default 1.36.3, the lab's release; hack/api-only.sh: no nodes, so no pod ever runs and nothing is waited for).
# For each variant: check mode, a converge, then a second converge that must report no change.
# Environment: K8S_VERSION, KUBECTL (default: that release's kubectl from hack/build-kubernetes.sh), KUBELIFT_CACHE.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cache=${KUBELIFT_CACHE:-/var/cache/kubelift}
export K8S_VERSION=${K8S_VERSION:-1.36.3}
kubectl=${KUBECTL:-$cache/kubernetes-${K8S_VERSION#v}/bin/kubectl}
export API_ONLY_NAME=${API_ONLY_NAME:-kubelift-addons-api}
export ANSIBLE_CONFIG=$root/ansible.cfg ANSIBLE_COLLECTIONS_PATH=$root/.collections

# KEEP=1 leaves the API server, etcd and their logs (/tmp/$API_ONLY_NAME) for a look afterwards.
stop_api() { if [[ -n ${KEEP:-} ]]; then echo "kept /tmp/$API_ONLY_NAME"; else hack/api-only.sh stop; fi; }
kubeconfig=$(hack/api-only.sh start)
trap stop_api EXIT
k() { "$kubectl" --kubeconfig "$kubeconfig" "$@"; }

# What kubeadm would have made: CoreDNS (taken over by the coredns role), and an application namespace.
k create -f tests/integration/kubeadm-coredns.yaml >/dev/null
k create namespace apps >/dev/null
k create namespace shop >/dev/null

vars=$(mktemp)
trap 'rm -f "$vars"; stop_api' EXIT
{
  echo "---"
  for role in flannel coredns metrics_server ingress_nginx traefik monitoring logging; do
    echo "${role}_kubeconfig: $kubeconfig"
    echo "${role}_wait_timeout: 0"
  done
} > "$vars"

failures=0
play() {  # play <label> <expected changed: any|0> ansible-playbook arguments...
  local label=$1 expect=$2
  shift 2
  local log changed
  log=$(ansible-playbook playbooks/addons.yml -e "@$vars" "$@" 2>&1) || {
    echo "FAIL  $label: the play failed"; echo "$log" | grep -A15 -E '^fatal|FAILED!|^\[ERROR\]|^ERROR!' | head -40; failures=$((failures + 1)); return; }
  changed=$(echo "$log" | grep -o 'changed=[0-9]*' | head -1 | cut -d= -f2)
  if [[ $expect == 0 && $changed != 0 ]]; then
    echo "FAIL  $label: changed=$changed, expected no change"
    echo "$log" | grep -B2 '^changed:' | grep TASK
    failures=$((failures + 1))
  else
    echo "ok    $label: changed=$changed"
  fi
}

variant() {  # variant <name> extra-vars-json
  local name=$1 extra=$2
  play "$name: check mode" any --check -e "$extra"
  play "$name: converge" any -e "$extra"
  sleep 1  # managedFields timestamps have a one-second resolution
  play "$name: second converge" 0 -e "$extra"
}

# First, everything as a server-side dry run only: accepted, nothing stored but the namespaces.
variant dry-run '{"flannel_dry_run": true, "coredns_dry_run": true, "metrics_server_dry_run": true,
  "ingress_nginx_dry_run": true, "logging_dry_run": true,
  "monitoring_dry_run_components": ["prometheus", "node-exporter", "kube-state-metrics", "alertmanager", "grafana"]}'
stored=$(k get deployments,daemonsets,statefulsets,jobs,secrets,configmaps -A -l app.kubernetes.io/part-of=kubelift --no-headers 2>/dev/null \
  | grep -v '^kube-system .*coredns' || true)
if [[ -n $stored ]]; then
  echo "FAIL  dry-run: objects were stored:"; echo "$stored"
  failures=$((failures + 1))
else
  echo "ok    dry-run: no add-on object stored"
fi
variant defaults '{}'
variant alternatives '{"coredns_replicas": 3, "coredns_anti_affinity": "preferred", "coredns_nodelocaldns_enabled": true,
  "coredns_stub_domains": {"corp.example": ["10.0.0.53"]}, "flannel_backend": "host-gw", "flannel_mtu": 1400,
  "ingress_nginx_kind": "DaemonSet", "ingress_nginx_exposure": "hostNetwork", "ingress_nginx_watch_namespaces": ["apps"],
  "monitoring_prometheus_storage": "pvc", "monitoring_alertmanager_enabled": false, "monitoring_prometheus_discovery": "dns",
  "logging_loki_retention": "30d"}'
# Switching the ingress controller: the ingress_nginx role removes ingress-nginx (its webhook first), then
# Traefik takes the node ports. (No Ingress is created while ingress-nginx's webhook exists: with no node,
# its controller never answers, and the webhook's failurePolicy is Fail.)
# Metrics Server's APIService (v1beta1.metrics.k8s.io) can never be Available without nodes, and an unavailable
# aggregated API stops every namespace deletion (NamespaceDeletionDiscoveryFailure), the ingress-nginx one here:
# the APIService the variants above stored goes, and this variant checks Metrics Server as a dry run.
k delete apiservice v1beta1.metrics.k8s.io --ignore-not-found >/dev/null
variant traefik '{"kubelift_ingress_controller": "traefik", "traefik_watch_namespaces": ["apps", "shop"],
  "coredns_nodelocaldns_enabled": false, "monitoring_grafana_ingress_host": "grafana.example.test",
  "metrics_server_dry_run": true}'
if k get namespace ingress-nginx >/dev/null 2>&1 || k get validatingwebhookconfiguration ingress-nginx-admission >/dev/null 2>&1; then
  echo "FAIL  traefik: ingress-nginx was not removed"
  failures=$((failures + 1))
fi

echo
k get deployments,daemonsets,statefulsets,jobs -A --no-headers | awk '{print "  " $1 " " $2}'
if (( failures > 0 )); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "every variant converged, and converged again without a change"
