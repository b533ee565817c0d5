#!/usr/bin/env bash
# Check the monitoring role's rendered Prometheus and Alertmanager configuration with the real tools:
# promtool check rules / test rules (tests/promtool/*.test.yml), promtool check config (DNS discovery: the
# Debian build has no Kubernetes discovery to check the other mode with), amtool check-config.
# promtool and amtool come from Debian's prometheus and prometheus-alertmanager packages, unpacked (not
# installed) into $KUBELIFT_CACHE/tools/prometheus the first time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${KUBELIFT_CACHE:-/var/cache/kubelift}
tools=$cache/tools/prometheus
python=${PYTHON:-python3}

if [[ ! -x $tools/usr/bin/promtool || ! -x $tools/usr/bin/amtool ]]; then
  download=$(mktemp -d)
  (cd "$download" && apt-get download prometheus prometheus-alertmanager >/dev/null)
  mkdir -p "$tools"
  for deb in "$download"/*.deb; do dpkg -x "$deb" "$tools"; done
  rm -rf "$download"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$python" - "$work" <<'PY'
import base64, sys
from pathlib import Path
sys.path.insert(0, "tests/unit")
from _addon_render import render, role_variables

work = Path(sys.argv[1])
for case, overrides in {"default": {}, "dns": {"monitoring_prometheus_discovery": "dns"}}.items():
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
                (out / "rules" / "kubelift.yml").write_text(obj["data"]["kubelift.yml"])
            elif name == "alertmanager-config":
                (out / "alertmanager.yml").write_bytes(base64.b64decode(obj["data"]["alertmanager.yml"]))
    (out / "token").write_text("token")
    (out / "ca.crt").write_text("ca")
PY
cd "$work"
"$tools/usr/bin/promtool" check rules default/rules/kubelift.yml
"$tools/usr/bin/promtool" check config dns/prometheus.yml
"$tools/usr/bin/amtool" check-config default/alertmanager.yml
cp default/rules/kubelift.yml .
for test in "$root"/tests/promtool/*.test.yml; do
  cp "$test" .
  "$tools/usr/bin/promtool" test rules "$(basename "$test")"
done
