#!/usr/bin/env bash
# Check the monitoring role's rendered Prometheus and Alertmanager configuration with the real tools, for every
# discovery mode (kubernetes, dns, static) and with webhooks and extra rule groups:
#   promtool check config (which checks the rule files it loads too), promtool check rules,
#   amtool check-config, and the alert unit tests of tests/promtool/*.test.yml (promtool test rules).
# promtool is the one hack/build-addon-components.sh builds from the Go module proxy (cached: the first call builds
# it). amtool is the one of Debian's prometheus-alertmanager package (what the lab runs; Alertmanager's Go module
# cannot be built here), unpacked (not installed) into $KUBELIFT_CACHE/tools/prometheus. PROMTOOL and AMTOOL
# override both. Every check runs; the script fails if any of them failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${KUBELIFT_CACHE:-/var/cache/kubelift}
python=${PYTHON:-python3}
debian=$cache/tools/prometheus

promtool=${PROMTOOL:-}
if [[ -z $promtool ]]; then
  prometheus=$(KUBELIFT_CACHE=$cache "$root/hack/build-addon-components.sh" prometheus)
  promtool=${prometheus#prometheus=}/bin/promtool
fi
amtool=${AMTOOL:-$debian/usr/bin/amtool}
if [[ -z ${AMTOOL:-} && ! -x $amtool ]]; then
  download=$(mktemp -d)
  (cd "$download" && apt-get download prometheus-alertmanager >/dev/null)
  mkdir -p "$debian"
  for deb in "$download"/*.deb; do dpkg -x "$deb" "$debian"; done
  rm -rf "$download"
fi
for tool in "$promtool" "$amtool"; do
  [[ -x $tool ]] || { echo "missing: promtool ($promtool) or amtool ($amtool)" >&2; exit 1; }
done
"$promtool" --version | head -1
"$amtool" --version 2>&1 | head -1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One directory per case: prometheus.yml (paths rewritten into the directory), rules/*.yml, alertmanager.yml.
(cd "$root" && "$python" - "$work" <<'PY'
import base64, sys
from pathlib import Path
sys.path.insert(0, "tests/unit")
from _addon_render import render, role_variables

EXTRA = [{"name": "site", "rules": [
    {"record": "job:up:sum", "expr": "sum by (job) (up)"},
    {"alert": "SiteDown", "expr": 'up{job="site"} == 0', "for": "5m", "labels": {"severity": "warning"},
     "annotations": {"summary": "{{ $labels.instance }} is down"}},
]}]
CASES = {
    "defaults": {},
    # The rule unit tests load this case's rules: every rule, etcd's own metrics included.
    "kubernetes": {"monitoring_etcd_metrics": True},
    "dns": {"monitoring_prometheus_discovery": "dns"},
    "static": {"monitoring_prometheus_discovery": "static", "monitoring_prometheus_static_nodes": ["192.0.2.1", "fd00::2"],
               "monitoring_prometheus_static_apiservers": ["192.0.2.1:6443"], "monitoring_dry_run_components": ["grafana"]},
    "webhooks-extra-rules": {"monitoring_alertmanager_webhook_urls": ["https://user:secret@hooks.example.test/alerts",
                                                                      "http://relay.example.test:8080/hook"],
                             "monitoring_alertmanager_watchdog_webhook_urls": ["https://deadman.example.test/ping/abc"],
                             "monitoring_etcd_metrics": False, "monitoring_prometheus_extra_rule_groups": EXTRA},
}
work = Path(sys.argv[1])
for case, overrides in CASES.items():
    variables = role_variables("monitoring", {"_monitoring_grafana_password": "x" * 12, **overrides})
    out = work / case
    (out / "rules").mkdir(parents=True)
    for template in ("prometheus.yaml.j2", "alertmanager-config.yaml.j2"):
        for obj in render("monitoring", template, variables):
            name = obj["metadata"]["name"]
            if name == "prometheus-config":
                config = obj["data"]["prometheus.yml"]
                config = config.replace("/etc/prometheus-rules", str(out / "rules"))
                config = config.replace("/var/run/secrets/kubernetes.io/serviceaccount", str(out))
                (out / "prometheus.yml").write_text(config)
            elif name == "prometheus-rules":
                for key, text in obj["data"].items():
                    (out / "rules" / key).write_text(text)
            elif name == "alertmanager-config":
                (out / "alertmanager.yml").write_bytes(base64.b64decode(obj["data"]["alertmanager.yml"]))
    (out / "token").write_text("token")
    (out / "ca.crt").write_text("ca")
    print(case, file=sys.stderr)
PY
)

failed=()
check() {
  echo ">> $*"
  if ! "$@"; then
    failed+=("$*")
  fi
}
cd "$work"
for case in */; do
  case=${case%/}
  check "$promtool" check config "$case/prometheus.yml"
  for rules in "$case"/rules/*.yml; do
    check "$promtool" check rules "$rules"
  done
  check "$amtool" check-config "$case/alertmanager.yml"
done
# The unit tests load kubelift.yml (Kubernetes discovery with etcd's metrics: every rule) from their own directory.
cp kubernetes/rules/kubelift.yml .
for test in "$root"/tests/promtool/*.test.yml; do
  cp "$test" .
  check "$promtool" test rules "$(basename "$test")"
done

if ((${#failed[@]} > 0)); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "monitoring configuration: every check passed"
