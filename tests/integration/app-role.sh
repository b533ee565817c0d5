#!/usr/bin/env bash
# The app role against a real (node-less) Kubernetes control plane of K8S_VERSION (default 1.36.3, the lab's
# release; hack/api-only.sh):
#   1. deploy three apps (replicas 0, so their rollouts complete without nodes): rc 0, the PDB as policy/v1 and
#      HPA API autoscaling/v2 chosen from what the API server serves (policy/v1beta1 is gone since 1.25); then an
#      autoscaled app's manifests (HPA autoscaling/v2, PDB policy/v1) rendered for the served APIs pass a
#      server-side dry run;
#   2. again, at -vvv: nothing changes, and the secret value appears nowhere in the output;
#   3. check mode with a changed config: rc 0, nothing created;
#   4. a changed config with 1 replica (whose pod can never be scheduled): the rollout fails, the role rolls the
#      Deployment back to the previous template (config checksum back to the first one) and fails saying why;
#   5. a third config with revision_history_limit 1, twice: rc 0, and the config of the revision the Deployment
#      no longer keeps is pruned.
# Needs the Kubernetes build in $KUBELIFT_CACHE (hack/build-kubernetes.sh) and `make collection`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export API_ONLY_NAME=${API_ONLY_NAME:-kubelift-app-role}
export API_ONLY_PORT=${API_ONLY_PORT:-26543}
export API_ONLY_ETCD_PORT=${API_ONLY_ETCD_PORT:-24890}
API_DIR=/tmp/$API_ONLY_NAME  # hack/api-only.sh keeps its state and kubeconfig there
KUBELIFT_CACHE=${KUBELIFT_CACHE:-/var/cache/kubelift}
export K8S_VERSION=${K8S_VERSION:-1.36.3}
kubectl="$KUBELIFT_CACHE/kubernetes-${K8S_VERSION#v}/bin/kubectl --kubeconfig $API_DIR/kubeconfig"
work=$(mktemp -d)
secret=kubelift-it-$RANDOM$RANDOM-secret

# KEEP=1 leaves the cluster and the logs (in $work) for a look afterwards. The trap is set once the start
# succeeded: a refused start (an API server of this name runs already) must not stop someone else's.
trap 'rm -rf "$work"' EXIT
"$root/hack/api-only.sh" start >/dev/null
trap '[[ -n "${KEEP:-}" ]] && echo "kept $API_DIR and $work" || { "$root/hack/api-only.sh" stop; rm -rf "$work"; }' EXIT
cd "$root"
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$root/.collections" ANSIBLE_FORCE_COLOR=0

apps() { # apps <replicas of shop> <memory_limit> [<revision_history_limit>]
  cat <<EOF
app_kubeconfig: $API_DIR/kubeconfig
app_rollout_timeout: 120
app_rollback_timeout: 20
app_apps:
  - name: shop
    pattern: php-nginx
    replicas: $1
    image: registry.example.cn/shop/php:8.2-fpm
    code:
      image: registry.example.cn/shop/code:1.0.0
    php:
      pool_dir: /etc/php/8.2/fpm/pool.d
    config_files:
      - path: /etc/php/8.2/fpm/conf.d/99-shop.ini
        content: "memory_limit = $2\n"
    secrets:
      env:
        DB_PASSWORD: $secret
    ingress:
      host: shop.example.com
    pdb:
      max_unavailable: 1
    rollout:
      progress_deadline_seconds: 15
      revision_history_limit: ${3:-5}
  - name: blog
    namespace: shop
    pattern: php-nginx
    split: true
    replicas: 0
    image: registry.example.cn/blog/php:8.2-fpm
  - name: api
    pattern: python
    replicas: 0
    image: registry.example.cn/api:1
    python: {app: "api.wsgi:application"}
    nginx: {enabled: true}
    network_policy: {ingress_namespaces: [ingress-nginx]}
EOF
}

run() { # run <log> <vars file> [ansible-playbook options...]
  local log=$1 vars=$2
  shift 2
  set +e
  ansible-playbook playbooks/deploy_apps.yml -e "@$vars" "$@" >"$log" 2>&1
  local rc=$?
  set -e
  echo "$rc"
}

recap() { echo "$(grep -A1 'PLAY RECAP' "$1" | tail -1 | sed 's/ \+/ /g') [${SECONDS}s]"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
checksum() { $kubectl -n shop get deploy shop -o jsonpath='{.spec.template.metadata.annotations.kubelift\.io/config-checksum}'; }

apps 0 256M >"$work/v1.yml"
apps 1 512M >"$work/v2.yml"
apps 0 128M 1 >"$work/v3.yml"

SECONDS=0
echo ">> 1. deploy"
[[ $(run "$work/1.log" "$work/v1.yml") == 0 ]] || { tail -40 "$work/1.log"; fail "first deploy failed"; }
$kubectl -n shop get deploy shop blog blog-php >/dev/null
$kubectl -n api get deploy api >/dev/null
$kubectl -n shop get poddisruptionbudgets.v1.policy shop >/dev/null
grep -q "(HPA autoscaling/v2, PDB policy/v1)" "$work/1.log" || fail "the role did not choose autoscaling/v2 and policy/v1"
[[ $($kubectl get ns shop -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}') == restricted ]] || fail "namespace labels"
first=$(checksum)
echo "ok   $(recap "$work/1.log")"
# An autoscaled app as the role renders it for the APIs this server serves, accepted by a server-side dry run.
$kubectl api-versions >"$work/api-versions"
PYTHONPATH="$root/.collections" "${PYTHON:-python3}" - "$work/api-versions" >"$work/scaled.json" <<'EOF'
import json, sys
from ansible_collections.kubelift.cluster.plugins.module_utils import app_manifests as am
served = open(sys.argv[1]).read().split()
spec = {"name": "scaled", "namespace": "shop", "pattern": "php-nginx", "image": "registry.example.cn/shop/php:8.2-fpm",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
        "nginx": {"resources": {"requests": {"cpu": "50m", "memory": "32Mi"}}},
        "php": {"pool_dir": "/etc/php/8.2/fpm/pool.d"}, "ingress": {"host": "scaled.example.com"},
        "autoscaling": {"min_replicas": 2, "max_replicas": 4, "memory_utilization": 80}}
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": am.render_app(spec, served)}))
EOF
kinds=$($kubectl apply --dry-run=server -o jsonpath='{range .items[*]}{.apiVersion}/{.kind} {end}' -f "$work/scaled.json") \
  || fail "the autoscaled app's manifests were refused"
for wanted in autoscaling/v2/HorizontalPodAutoscaler policy/v1/PodDisruptionBudget; do
  [[ " $kinds" == *" $wanted "* ]] || fail "no $wanted in the dry run: $kinds"
done
if $kubectl -n shop get hpa scaled >/dev/null 2>&1; then fail "the dry run stored the HPA"; fi
echo "ok   server-side dry run: $kinds"

echo ">> 2. again: idempotent, secret never logged (-vvv)"
[[ $(run "$work/2.log" "$work/v1.yml" -vvv) == 0 ]] || { tail -40 "$work/2.log"; fail "second deploy failed"; }
recap "$work/2.log" | grep -q 'changed=0 ' || fail "second run changed something: $(recap "$work/2.log")"
if grep -q "$secret" "$work/1.log" "$work/2.log"; then fail "the secret value shows in the output"; fi
base64_secret=$(printf %s "$secret" | base64)
if grep -q "$base64_secret" "$work/1.log" "$work/2.log"; then fail "the base64 secret shows in the output"; fi
echo "ok   $(recap "$work/2.log"); secret absent from $(wc -l <"$work/2.log") lines of -vvv output"

echo ">> 3. check mode with a new config"
configmaps=$($kubectl -n shop get configmaps -o name | sort)
[[ $(run "$work/3.log" "$work/v2.yml" --check --diff) == 0 ]] || { tail -40 "$work/3.log"; fail "check mode failed"; }
[[ $($kubectl -n shop get configmaps -o name | sort) == "$configmaps" ]] || fail "check mode created objects"
[[ $(checksum) == "$first" ]] || fail "check mode changed the Deployment"
echo "ok   $(recap "$work/3.log")"

echo ">> 4. failing rollout: rollback, then fail saying why"
[[ $(run "$work/4.log" "$work/v2.yml") != 0 ]] || fail "the failing rollout did not fail the run"
grep -q "app 'shop' (namespace shop): the rollout failed." "$work/4.log" || fail "no failure message"
grep -q "ProgressDeadlineExceeded" "$work/4.log" || fail "no condition in the message"
grep -q "not scheduled: Unschedulable" "$work/4.log" || fail "no pod problem in the message"
grep -q "Deployment shop: rolled back from revision 2 to the template of revision 1" "$work/4.log" || fail "no rollback"
[[ $(checksum) == "$first" ]] || fail "the Deployment was not rolled back to the first config"
sed -n '/msg: |-/,/Fix the app/p' "$work/4.log" | sed 's/^/     /'
echo "ok   rolled back: config checksum is the first one again [${SECONDS}s]"

echo ">> 5. third config, history limit 1: prune the config that no kept revision uses"
[[ $(run "$work/5.log" "$work/v3.yml") == 0 ]] || { tail -40 "$work/5.log"; fail "third deploy failed"; }
# The controller removes old ReplicaSets after the rollout; the next run prunes what they used.
[[ $(run "$work/6.log" "$work/v3.yml") == 0 ]] || { tail -40 "$work/6.log"; fail "fourth deploy failed"; }
kept=$($kubectl -n shop get configmaps -l app.kubernetes.io/name=shop -o name | sed 's|.*/||' | sort)
used=$($kubectl -n shop get rs -l app.kubernetes.io/name=shop \
  -o jsonpath='{range .items[*]}{.spec.template.spec.volumes[?(@.configMap)].configMap.name}{"\n"}{end}' | sort -u)
[[ $(wc -l <<<"$kept") == 2 && "$kept" == "$used" ]] || fail "ConfigMaps $kept, but the ReplicaSets use $used"
echo "ok   3 configs made, 2 kept ($(tr '\n' ' ' <<<"$kept")): the ones the 2 kept ReplicaSets use; $(recap "$work/6.log")"
echo "all app role checks passed"
