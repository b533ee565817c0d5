"""The monitoring role, rendered as the role renders it (tests/unit/_addon_render.py) and its preflight run with
ansible-playbook:

- every object validates strictly against Kubernetes 1.33-1.37, in every discovery mode and variant;
- scrape jobs per discovery mode (CoreDNS, etcd, Alertmanager, Prometheus itself), and the rules loaded with them;
- Alertmanager: webhook receivers, the Watchdog route, the configuration only in the Secret;
- every container has requests, a memory limit and a locked-down security context;
- bad settings stop the preflight with one message naming each variable.
"""

from __future__ import annotations

import base64
import json
import re
from functools import lru_cache
from pathlib import Path

import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from _playbook import role_play, run_play
from _addon_render import applied_templates, render, role_variables

ROOT = Path(__file__).resolve().parents[2]
K8S_VERSIONS = ["1.33", "1.34", "1.35", "1.36", "1.37"]
kubernetes_validate.utils.schema_contents = lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)

WEBHOOK = "https://alerts:s3cr3t-token@hooks.example.test/kubelift"
DEADMAN = "https://deadman.example.test/ping/0c1d"
EXTRA_GROUPS = [{"name": "shop", "rules": [
    {"record": "job:shop_orders:rate5m", "expr": "sum by (job) (rate(shop_orders_total[5m]))"},
    {"alert": "ShopOrdersStopped", "expr": "job:shop_orders:rate5m == 0", "for": "15m", "labels": {"severity": "warning"},
     "annotations": {"summary": "No order for 15 minutes"}},
]}]
CASES = {
    "kubernetes": {"monitoring_etcd_metrics": True},
    "dns": {"monitoring_prometheus_discovery": "dns"},
    "static": {"monitoring_prometheus_discovery": "static", "monitoring_prometheus_static_nodes": ["192.0.2.1", "fd00::2"],
               "monitoring_prometheus_static_apiservers": ["192.0.2.1:6443"]},
    "webhooks-extra-rules-loki": {
        "monitoring_alertmanager_webhook_urls": [WEBHOOK, "http://relay.example.test:8080/hook"],
        "monitoring_alertmanager_watchdog_webhook_urls": [DEADMAN],
        "monitoring_prometheus_extra_rule_groups": EXTRA_GROUPS,
        "monitoring_grafana_logs_backend": "loki", "monitoring_grafana_logs_url": "http://loki.logging.svc.cluster.local:3100",
        "monitoring_grafana_plugins": ["grafana-piechart-panel@1.6.4"],
    },
    "no-etcd-no-logs-no-watchdog": {"monitoring_etcd_metrics": False, "monitoring_grafana_logs_backend": "none",
                                    "monitoring_alertmanager_webhook_urls": [WEBHOOK],
                                    "monitoring_alertmanager_route_watchdog": False},
    "tuned-thresholds": {"monitoring_alert_node_cpu_percent": 75, "monitoring_alert_apiserver_error_percent": 2.5,
                         "monitoring_alert_coredns_latency_seconds": 0.5, "monitoring_alertmanager_group_wait": "10s",
                         "monitoring_alertmanager_repeat_interval": "12h"},
}


@lru_cache(maxsize=None)
def _rendered(case: str) -> str:
    variables = role_variables("monitoring", {"_monitoring_grafana_password": "test-password-not-secret", **CASES[case]})
    return json.dumps([{"template": t, "object": o} for t in applied_templates("monitoring", variables)
                       for o in render("monitoring", t, variables)])


def objects(case: str, kind: str | None = None) -> list[dict]:
    return [i["object"] for i in json.loads(_rendered(case)) if kind is None or i["object"]["kind"] == kind]


def find(case: str, kind: str, name: str) -> dict:
    found = [o for o in objects(case, kind) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{case}: {kind}/{name} found {len(found)} times"
    return found[0]


def prometheus_config(case: str) -> dict:
    return yaml.safe_load(find(case, "ConfigMap", "prometheus-config")["data"]["prometheus.yml"])


def jobs(case: str) -> dict[str, dict]:
    return {j["job_name"]: j for j in prometheus_config(case)["scrape_configs"]}


def rules(case: str, key: str = "kubelift.yml") -> list[dict]:
    groups = yaml.safe_load(find(case, "ConfigMap", "prometheus-rules")["data"][key])["groups"]
    return [dict(r, group=g["name"]) for g in groups for r in g["rules"]]


def alerts(case: str) -> dict[str, dict]:
    return {r["alert"]: r for r in rules(case) if "alert" in r}


def alertmanager_config(case: str) -> dict:
    secret = find(case, "Secret", "alertmanager-config")
    return yaml.safe_load(base64.b64decode(secret["data"]["alertmanager.yml"]))


# --- objects ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("case", CASES)
def test_objects_validate_strictly(case, version):
    for obj in objects(case):
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{case}: {obj['kind']}/{obj['metadata']['name']} invalid for {version} at {path}: {exc.message}")


@pytest.mark.parametrize("case", CASES)
def test_every_container_is_limited_and_locked_down(case):
    workloads = [o for o in objects(case) if o["kind"] in ("Deployment", "DaemonSet", "StatefulSet")]
    assert {w["metadata"]["name"] for w in workloads} >= {"prometheus", "node-exporter", "kube-state-metrics",
                                                            "alertmanager", "grafana"}
    for workload in workloads:
        spec = workload["spec"]["template"]["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, workload["metadata"]["name"]
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, workload["metadata"]["name"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{case}: {workload['metadata']['name']}/{container['name']}"
            resources = container["resources"]
            assert resources["requests"]["cpu"] and resources["requests"]["memory"], where
            assert resources["limits"]["memory"], where
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where


def test_prometheus_resources_follow_the_variable():
    variables = {"monitoring_prometheus_resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "8Gi"}}}
    CASES["big-prometheus"] = variables
    try:
        container = find("big-prometheus", "Deployment", "prometheus")["spec"]["template"]["spec"]["containers"][0]
    finally:
        del CASES["big-prometheus"]
    assert container["resources"] == variables["monitoring_prometheus_resources"]


# --- scrape jobs ----------------------------------------------------------------------------------------------


def test_kubernetes_discovery_scrapes_coredns_etcd_alertmanager_and_itself():
    scraped = jobs("kubernetes")
    assert scraped["prometheus"]["static_configs"] == [{"targets": ["localhost:9090"]}]
    coredns = scraped["coredns"]
    assert coredns["kubernetes_sd_configs"] == [{"role": "endpointslice", "namespaces": {"names": ["kube-system"]}}]
    assert {"source_labels": ["__meta_kubernetes_service_name", "__meta_kubernetes_endpointslice_port_name"],
            "regex": "kube-dns;metrics", "action": "keep"} in coredns["relabel_configs"]
    etcd = scraped["etcd"]
    assert etcd["kubernetes_sd_configs"] == [{"role": "node"}]
    assert etcd.get("scheme", "http") == "http" and etcd.get("metrics_path", "/metrics") == "/metrics"
    keep = [r for r in etcd["relabel_configs"] if r.get("action") == "keep"]
    assert keep == [{"source_labels": ["__meta_kubernetes_node_labelpresent_node_role_kubernetes_io_control_plane"],
                     "regex": "true", "action": "keep"}]
    address = [r for r in etcd["relabel_configs"] if r.get("target_label") == "__address__"][0]
    assert address["replacement"] == "${1}:2381"
    # Prometheus anchors the regex; its ${1} is Python's \g<1>.
    replacement = address["replacement"].replace("${1}", r"\g<1>")
    for node, target in (("192.0.2.1:10250", "192.0.2.1:2381"), ("[fd00::1]:10250", "[fd00::1]:2381")):
        assert re.fullmatch(address["regex"], node).expand(replacement) == target
    for name, port in (("alertmanager", "web"), ("grafana", "http")):
        keep = [r for r in scraped[name]["relabel_configs"] if r.get("action") == "keep"][0]
        assert keep["regex"] == f"{name};{port}"
    # kubeadm annotates kube-dns for scraping: the coredns job has it, the annotated-services job leaves it.
    assert {"source_labels": ["__meta_kubernetes_namespace", "__meta_kubernetes_service_name"],
            "regex": "kube-system;kube-dns", "action": "drop"} in scraped["annotated-services"]["relabel_configs"]
    # Alertmanager is reached by its Service name.
    assert prometheus_config("kubernetes")["alerting"]["alertmanagers"] == [
        {"static_configs": [{"targets": ["alertmanager.monitoring.svc.cluster.local:9093"]}]}]
    role = find("kubernetes", "ClusterRole", "kubelift:prometheus")
    assert {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]} in role["rules"]
    # Neither the Alertmanager nor the Grafana Service is annotated (they have their own jobs).
    for name in ("alertmanager", "grafana"):
        assert "annotations" not in find("kubernetes", "Service", name)["metadata"]


@pytest.mark.parametrize("case", ["dns", "static"])
def test_dns_and_static_discovery_have_no_coredns_or_etcd_job_nor_their_alerts(case):
    scraped = jobs(case)
    assert not {"coredns", "etcd"} & set(scraped)
    assert {"prometheus", "apiserver", "kubelet", "cadvisor", "node-exporter", "kube-state-metrics", "alertmanager",
            "grafana"} <= set(scraped)
    names = alerts(case)
    assert not {"CoreDNSDown", "CoreDNSServfailHigh", "EtcdNoLeader", "EtcdMetricsDown"} & set(names)
    # etcd's size from the API server instead.
    assert "apiserver_storage_size_bytes" in names["EtcdDatabaseNearQuota"]["expr"]
    assert str(2147483648) in names["EtcdDatabaseNearQuota"]["expr"]


def test_etcd_scraping_can_be_switched_off():
    assert "etcd" not in jobs("no-etcd-no-logs-no-watchdog")
    assert "coredns" in jobs("no-etcd-no-logs-no-watchdog")
    names = alerts("no-etcd-no-logs-no-watchdog")
    assert "EtcdNoLeader" not in names and "EtcdRequestsSlow" in names
    assert "etcd_mvcc_db_total_size_in_bytes" in alerts("kubernetes")["EtcdDatabaseNearQuota"]["expr"]


# --- rules ------------------------------------------------------------------------------------------------------


REQUIRED_ALERTS = {
    "kubelift-nodes": {"NodeDown", "NodeNotReady", "NodeCPUHigh", "NodeMemoryHigh", "NodeFilesystemFillingUp",
                       "NodeFilesystemAlmostFull"},
    "kubelift-workloads": {"PodCrashLooping", "PodNotReady", "ContainerOOMKilled", "ContainerMemoryNearLimit",
                           "ContainerCPUThrottled"},
    "kubelift-apiserver": {"APIServerDown", "APIServerErrorsHigh", "APIServerLatencyHigh"},
    "kubelift-etcd": {"EtcdRequestsSlow", "EtcdDatabaseNearQuota", "EtcdNoLeader", "EtcdLeaderChangesFrequent",
                      "EtcdMetricsDown"},
    "kubelift-certificates": {"APIServerClientCertificateExpiring", "KubeletClientCertificateExpiring",
                              "KubeletServerCertificateExpiring"},
    "kubelift-coredns": {"CoreDNSDown", "CoreDNSServfailHigh", "CoreDNSLatencyHigh"},
    "kubelift-ingress": {"IngressNginxErrorsHigh", "TraefikErrorsHigh"},
    "kubelift-meta": {"Watchdog", "TargetDown"},
}


def test_rules_cover_every_area():
    by_group: dict[str, set] = {}
    for rule in rules("kubernetes"):
        if "alert" in rule:
            by_group.setdefault(rule["group"], set()).add(rule["alert"])
    for group, names in REQUIRED_ALERTS.items():
        assert names <= by_group.get(group, set()), f"{group}: missing {names - by_group.get(group, set())}"
    for rule in rules("kubernetes"):
        if "alert" in rule:
            assert rule["labels"]["severity"] in {"critical", "warning", "info", "none"}, rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]


def test_watchdog_always_fires_with_severity_none():
    watchdog = alerts("kubernetes")["Watchdog"]
    assert watchdog["expr"] == "vector(1)"
    assert watchdog["labels"] == {"severity": "none"}
    assert "for" not in watchdog
    assert [a for a, r in alerts("kubernetes").items() if r["labels"]["severity"] == "none"] == ["Watchdog"]


def test_recording_rules_are_named_level_metric_operations_and_used():
    recorded = [r["record"] for r in rules("kubernetes") if "record" in r]
    assert len(recorded) == len(set(recorded))
    for name in recorded:
        assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", name), name
        assert not name.split(":")[1].endswith("_total"), f"{name}: strip _total after rate()"
    used = " ".join(r["expr"] for r in rules("kubernetes"))
    assert {"instance:node_cpu_utilisation:ratio_rate5m", "job:apiserver_request_errors_per_requests:ratio_rate5m",
            "namespace_pod_container:container_memory_working_set_bytes:max"} <= {n for n in recorded if n in used}


def test_thresholds_follow_their_variables():
    default, tuned = alerts("kubernetes"), alerts("tuned-thresholds")
    assert default["NodeCPUHigh"]["expr"].endswith("> 0.9")
    assert tuned["NodeCPUHigh"]["expr"].endswith("> 0.75")
    assert default["APIServerErrorsHigh"]["expr"].endswith("> 0.05")
    assert tuned["APIServerErrorsHigh"]["expr"].endswith("> 0.025")
    assert tuned["CoreDNSLatencyHigh"]["expr"].endswith("> 0.5")
    assert "75%" in tuned["NodeCPUHigh"]["annotations"]["description"]


def test_extra_rule_groups_get_their_own_file():
    assert "extra.yml" not in find("kubernetes", "ConfigMap", "prometheus-rules")["data"]
    extra = yaml.safe_load(find("webhooks-extra-rules-loki", "ConfigMap", "prometheus-rules")["data"]["extra.yml"])
    assert extra == {"groups": EXTRA_GROUPS}
    assert prometheus_config("webhooks-extra-rules-loki")["rule_files"] == ["/etc/prometheus-rules/*.yml"]
    # A rule change restarts Prometheus (it reads its rules at start).
    hashes = {find(c, "Deployment", "prometheus")["spec"]["template"]["metadata"]["annotations"]["kubelift.io/config-hash"]
              for c in ("kubernetes", "webhooks-extra-rules-loki", "tuned-thresholds")}
    assert len(hashes) == 3


# --- Alertmanager -----------------------------------------------------------------------------------------------


def test_without_webhooks_every_alert_goes_to_the_null_receiver():
    config = alertmanager_config("kubernetes")
    assert config["receivers"] == [{"name": "null"}]
    route = config["route"]
    assert route["receiver"] == "null"
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("30s", "5m", "4h")
    assert all(r["receiver"] == "null" for r in route["routes"])


def test_webhooks_get_every_alert_and_the_watchdog_its_own_url():
    config = alertmanager_config("webhooks-extra-rules-loki")
    receivers = {r["name"]: r for r in config["receivers"]}
    assert config["route"]["receiver"] == "webhook"
    assert [w["url"] for w in receivers["webhook"]["webhook_configs"]] == [WEBHOOK, "http://relay.example.test:8080/hook"]
    assert all(w["send_resolved"] is True for w in receivers["webhook"]["webhook_configs"])
    watchdog_route = config["route"]["routes"][0]
    assert watchdog_route["matchers"] == ['alertname="Watchdog"', 'severity="none"']
    assert watchdog_route["receiver"] == "watchdog"
    assert watchdog_route["repeat_interval"] == "1h"
    assert [w["url"] for w in receivers["watchdog"]["webhook_configs"]] == [DEADMAN]
    # Other severity=none alerts are never sent.
    assert config["route"]["routes"][1] == {"receiver": "null", "matchers": ['severity="none"']}
    assert config["inhibit_rules"][0]["source_matchers"] == ['severity="critical"']


def test_watchdog_goes_to_the_webhooks_unless_switched_off():
    CASES["watchdog-to-webhooks"] = {"monitoring_alertmanager_webhook_urls": [WEBHOOK]}
    try:
        config = alertmanager_config("watchdog-to-webhooks")
    finally:
        del CASES["watchdog-to-webhooks"]
    receivers = {r["name"]: r for r in config["receivers"]}
    assert config["route"]["routes"][0]["receiver"] == "watchdog"
    assert receivers["watchdog"]["webhook_configs"] == [{"url": WEBHOOK, "send_resolved": False}]
    off = alertmanager_config("no-etcd-no-logs-no-watchdog")
    assert off["route"]["receiver"] == "webhook"
    assert off["route"]["routes"][0]["receiver"] == "null"
    assert "watchdog" not in {r["name"] for r in off["receivers"]}


def test_grouping_settings_follow_their_variables():
    route = alertmanager_config("tuned-thresholds")["route"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == ("10s", "5m", "12h")


def test_a_complete_configuration_replaces_the_settings():
    config = {"route": {"receiver": "ops"}, "receivers": [{"name": "ops", "email_configs": [{"to": "ops@example.test"}]}]}
    CASES["own-config"] = {"monitoring_alertmanager_config": config}
    try:
        assert alertmanager_config("own-config") == config
    finally:
        del CASES["own-config"]


@pytest.mark.parametrize("case", ["webhooks-extra-rules-loki", "no-etcd-no-logs-no-watchdog"])
def test_webhook_urls_stay_in_the_secret(case):
    """Only the Secret alertmanager-config carries the URLs (and their credentials); the Deployment a hash."""
    for obj in objects(case):
        if (obj["kind"], obj["metadata"]["name"]) != ("Secret", "alertmanager-config"):
            text = json.dumps(obj)
            assert "s3cr3t-token" not in text and "hooks.example.test" not in text, f"{obj['kind']}/{obj['metadata']['name']}"
    deployment = find(case, "Deployment", "alertmanager")
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert {"name": "config", "secret": {"secretName": "alertmanager-config"}} in volumes
    assert find(case, "Service", "alertmanager")["spec"]["ports"][0]["port"] == 9093


# --- Grafana ------------------------------------------------------------------------------------------------------


def _grafana_env(case: str) -> dict[str, dict]:
    container = find(case, "Deployment", "grafana")["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e for e in container["env"]}


def test_grafana_installs_the_logs_plugin_and_the_listed_ones():
    assert _grafana_env("kubernetes")["GF_PLUGINS_PREINSTALL"]["value"] == "victoriametrics-logs-datasource"
    assert _grafana_env("webhooks-extra-rules-loki")["GF_PLUGINS_PREINSTALL"]["value"] == "grafana-piechart-panel@1.6.4"
    assert "GF_PLUGINS_PREINSTALL" not in _grafana_env("no-etcd-no-logs-no-watchdog")


def test_grafana_logs_data_source_follows_the_backend():
    def logs(case):
        config = yaml.safe_load(find(case, "ConfigMap", "grafana-datasources")["data"]["kubelift.yaml"])
        return [d for d in config["datasources"] if d["uid"] == "logs"]

    assert [(d["type"], d["url"]) for d in logs("kubernetes")] == [
        ("victoriametrics-logs-datasource", "http://victorialogs.logging.svc.cluster.local:9428")]
    assert [(d["type"], d["url"]) for d in logs("webhooks-extra-rules-loki")] == [
        ("loki", "http://loki.logging.svc.cluster.local:3100")]
    assert logs("no-etcd-no-logs-no-watchdog") == []


def test_grafana_mounts_dashboards_through_a_provider():
    providers = yaml.safe_load(find("kubernetes", "ConfigMap", "grafana-dashboard-providers")["data"]["kubelift.yaml"])
    path = providers["providers"][0]["options"]["path"]
    spec = find("kubernetes", "Deployment", "grafana")["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["dashboards"] == path
    assert {"name": "dashboards", "configMap": {"name": "grafana-dashboards"}} in spec["volumes"]
    assert _grafana_env("kubernetes")["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]["value"] == f"{path}/kubelift-cluster.json"


# --- preflight ----------------------------------------------------------------------------------------------------

PLAYBOOK = role_play("monitoring")
BAD = {
    "monitoring_alertmanager_webhook_urls": ["ftp://user:hunter2@files.example.test/alerts"],
    "monitoring_alertmanager_watchdog_webhook_urls": ["deadman.example.test/ping"],
    "monitoring_prometheus_retention": "15 days",
    "monitoring_alertmanager_group_wait": "30",
    "monitoring_alertmanager_group_interval": "five minutes",
    "monitoring_alertmanager_repeat_interval": "4 h",
    "monitoring_alert_node_cpu_percent": 150,
    "monitoring_alert_apiserver_latency_seconds": 0,
    "monitoring_prometheus_extra_rule_groups": [{"rules": [{"alert": "A", "expr": "vector(1)"}]}, {"name": "empty", "rules": []},
                                                {"name": "half", "rules": [{"alert": "NoExpr"}]}],
    "monitoring_grafana_plugins": ["not a plugin"],
    "monitoring_prometheus_resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
}
MISTAKES = [
    ("monitoring_alertmanager_webhook_urls", "monitoring_alertmanager_webhook_urls has 1 entry(ies) that are not http:// or https:// URLs"),
    ("monitoring_alertmanager_watchdog_webhook_urls",
     "monitoring_alertmanager_watchdog_webhook_urls has 1 entry(ies) that are not http:// or https:// URLs"),
    ("monitoring_prometheus_retention", 'monitoring_prometheus_retention "15 days" is not a Prometheus duration'),
    ("monitoring_alertmanager_group_wait", 'monitoring_alertmanager_group_wait "30" is not a Prometheus duration'),
    ("monitoring_alertmanager_group_interval", 'monitoring_alertmanager_group_interval "five minutes" is not a Prometheus duration'),
    ("monitoring_alertmanager_repeat_interval", 'monitoring_alertmanager_repeat_interval "4 h" is not a Prometheus duration'),
    ("monitoring_alert_node_cpu_percent", "monitoring_alert_node_cpu_percent must be a percentage above 0 and at most 100."),
    ("monitoring_alert_apiserver_latency_seconds", "monitoring_alert_apiserver_latency_seconds must be a number above 0."),
    ("monitoring_prometheus_extra_rule_groups (groups)",
     "monitoring_prometheus_extra_rule_groups: every group needs a name (a non-empty string) and rules (a non-empty list);"
     " fix: (no name), empty."),
    ("monitoring_prometheus_extra_rule_groups (rules)",
     "monitoring_prometheus_extra_rule_groups: every rule needs an expr and either alert or record; fix: NoExpr."),
    ("monitoring_grafana_plugins", "monitoring_grafana_plugins entry not a plugin is not id, id@version or id@version@url"),
    ("monitoring_prometheus_resources", "monitoring_prometheus_resources needs requests and limits.memory"),
]


def _run(tmp_path, variables):
    # A kubeconfig that does not exist: the preflight must fail before it would need the API.
    return run_play(tmp_path, PLAYBOOK, variables, env={
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "KUBECONFIG": str(tmp_path / "no-such-kubeconfig")})


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("bad"), BAD)


def _message(output: str) -> str:
    """The preflight's failure message (the result is printed as JSON: ANSIBLE_CALLBACK_RESULT_FORMAT)."""
    for line in output.splitlines():
        if line.startswith("fatal: [localhost]: FAILED! => "):
            msg = json.loads(line.split(" => ", 1)[1])["msg"]
            if msg.startswith("monitoring on localhost: "):
                return msg
    raise AssertionError(output[-3000:])


def test_bad_settings_stop_in_the_preflight(bad_run):
    code, output = bad_run
    assert code != 0
    assert "Monitoring settings are consistent" in output
    assert "Kubernetes API answers" not in output, "the preflight went on to the cluster"


@pytest.mark.parametrize(("variable", "text"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_named_with_its_fix(bad_run, variable, text):
    assert text in _message(bad_run[1])


def test_webhook_credentials_are_not_printed(bad_run):
    assert "hunter2" not in bad_run[1]


def test_good_settings_pass_the_preflight(tmp_path):
    code, output = _run(tmp_path, dict(CASES["webhooks-extra-rules-loki"], monitoring_alertmanager_group_wait="0s"))
    assert code != 0  # no cluster here: it stops at the API check, after the preflight passed.
    assert "the Kubernetes API could not be reached" in output, output[-3000:]
    assert "Monitoring settings are consistent" in output and "monitoring on localhost: monitoring_" not in output
