"""Monitoring on the lab cluster: Prometheus (built from its Go module, with Kubernetes service discovery) finds
every target kind by itself, has the pods' CPU and memory series, and an alert travels from a rule through
Alertmanager (by Service name) to a webhook receiver: a pod this module starts, which records what it gets."""

import json
import time

import pytest
from kubernetes import client

from kube_helpers import api_get, wait_until

MONITORING = "monitoring"
VERIFY = "kubelift-alerts"
SINK = "alert-sink"

# busybox httpd with three CGI scripts: hook (Alertmanager's webhook: appends the body), log (what was received)
# and metrics (a counter, so Prometheus finds the pod through its prometheus.io annotations).
_SCRIPTS = {
    "hook": "#!/bin/sh\nhead -c \"${CONTENT_LENGTH:-0}\" >> /tmp/alerts.log\necho >> /tmp/alerts.log\n"
            "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n",
    "log": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\ncat /tmp/alerts.log 2>/dev/null\n",
    "metrics": "#!/bin/sh\nprintf 'Content-Type: text/plain; version=0.0.4\\r\\n\\r\\n'\n"
               "echo \"kubelift_alert_sink_received_total $(cat /tmp/alerts.log 2>/dev/null | grep -c . )\"\n",
}


def _prometheus(api, path, **params):
    body = api_get(api, f"/api/v1/namespaces/{MONITORING}/services/prometheus:9090/proxy{path}", **params)
    assert body["status"] == "success", body
    return body["data"]


def _query(api, expr):
    return _prometheus(api, "/api/v1/query", query=expr)["result"]


def _nodes(api):
    return {n.metadata.name for n in client.CoreV1Api(api).list_node().items}


@pytest.fixture(scope="module")
def alert_sink(api):
    """The webhook receiver: namespace, ConfigMap of scripts, annotated pod, Service."""
    core = client.CoreV1Api(api)
    labels = {"app.kubernetes.io/name": SINK}
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(
        name=VERIFY, labels={"pod-security.kubernetes.io/enforce": "restricted"})))
    core.create_namespaced_config_map(VERIFY, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=SINK), data=_SCRIPTS))
    restricted = client.V1SecurityContext(
        allow_privilege_escalation=False, run_as_non_root=True, run_as_user=65534,
        capabilities=client.V1Capabilities(drop=["ALL"]), seccomp_profile=client.V1SeccompProfile(type="RuntimeDefault"))
    core.create_namespaced_pod(VERIFY, client.V1Pod(
        metadata=client.V1ObjectMeta(name=SINK, labels=labels, annotations={
            "prometheus.io/scrape": "true", "prometheus.io/port": "8080", "prometheus.io/path": "/cgi-bin/metrics"}),
        spec=client.V1PodSpec(
            containers=[client.V1Container(
                name="httpd", image="docker.io/kubelift/busybox:lab", security_context=restricted,
                command=["httpd", "-f", "-p", "8080", "-h", "/www"],
                ports=[client.V1ContainerPort(container_port=8080, name="http")],
                resources=client.V1ResourceRequirements(requests={"cpu": "10m", "memory": "16Mi"}, limits={"memory": "32Mi"}),
                volume_mounts=[client.V1VolumeMount(name="cgi", mount_path="/www/cgi-bin"),
                               client.V1VolumeMount(name="tmp", mount_path="/tmp")])],
            volumes=[client.V1Volume(name="cgi", config_map=client.V1ConfigMapVolumeSource(name=SINK, default_mode=0o755)),
                     client.V1Volume(name="tmp", empty_dir=client.V1EmptyDirVolumeSource())])))
    core.create_namespaced_service(VERIFY, client.V1Service(
        metadata=client.V1ObjectMeta(name=SINK),
        spec=client.V1ServiceSpec(selector=labels, ports=[client.V1ServicePort(port=8080, target_port="http", name="http")])))
    ready = wait_until(lambda: any(c.type == "Ready" and c.status == "True"
                                   for c in (core.read_namespaced_pod(SINK, VERIFY).status.conditions or [])))
    assert ready, core.read_namespaced_pod(SINK, VERIFY).status
    yield SINK
    core.delete_namespace(VERIFY)


def test_monitoring_components_are_rolled_out(api):
    apps = client.AppsV1Api(api)

    def rolled_out():
        deployments = [apps.read_namespaced_deployment(n, MONITORING) for n in ("prometheus", "kube-state-metrics", "alertmanager")]
        ds = apps.read_namespaced_daemon_set("node-exporter", MONITORING)
        return all((d.status.available_replicas or 0) == d.spec.replicas for d in deployments) and (
            ds.status.number_ready == ds.status.desired_number_scheduled == len(_nodes(api)))

    assert wait_until(rolled_out, timeout=300, step=5), "a monitoring component did not become ready"


def test_prometheus_discovers_its_targets_through_kubernetes(api):
    """Every target of every kind is up, and every one was found by Kubernetes service discovery."""
    nodes = _nodes(api)

    def targets():
        return _prometheus(api, "/api/v1/targets", state="active")["activeTargets"]

    def all_up():
        active = targets()
        jobs = {}
        for t in active:
            jobs.setdefault(t["labels"]["job"], []).append(t)
        per_node = all(len([t for t in jobs.get(j, []) if t["health"] == "up"]) == len(nodes)
                       for j in ("kubelet", "cadvisor", "node-exporter"))
        singles = all(any(t["health"] == "up" for t in jobs.get(j, [])) for j in ("apiserver", "kube-state-metrics", "coredns"))
        return per_node and singles

    assert wait_until(all_up, timeout=240, step=5), json.dumps(
        [(t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]) for t in targets()], indent=1)
    for t in targets():
        if t["labels"]["job"] != "prometheus":
            # Targets of Kubernetes discovery carry __meta_kubernetes_* labels before relabelling.
            assert any(k.startswith("__meta_kubernetes_") for k in t["discoveredLabels"]), t["discoveredLabels"]


def test_pods_have_cpu_and_memory_series_with_namespace_and_pod(api):
    for metric in ("container_cpu_usage_seconds_total", "container_memory_working_set_bytes"):
        expr = f'{metric}{{namespace="{MONITORING}", pod=~"prometheus-.*", container="prometheus"}}'
        result = wait_until(lambda: _query(api, expr), timeout=120, step=5)
        assert result, expr
        assert float(result[0]["value"][1]) > 0 and result[0]["metric"]["node"] in _nodes(api), result[0]


def test_rules_are_loaded_and_evaluated(api):
    groups = _prometheus(api, "/api/v1/rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert all(rule["health"] == "ok" for rule in rules), [r for r in rules if r["health"] != "ok"]
    alerts = {rule["name"] for rule in rules if rule["type"] == "alerting"}
    assert {"NodeDown", "PodCrashLooping", "Watchdog", "KubeliftVerifySinkScraped"} <= alerts, sorted(alerts)


def test_annotated_pod_is_scraped_and_its_alert_reaches_the_webhook(api, alert_sink):
    """The sink pod is found by its annotations; the rule that fires on that reaches it through Alertmanager."""
    up = wait_until(lambda: _query(api, f'up{{job="annotated-pods", namespace="{VERIFY}", pod="{alert_sink}"}} == 1'),
                    timeout=120, step=5)
    assert up, _prometheus(api, "/api/v1/targets", state="active")
    started = time.monotonic()

    def received():
        text = api_get(api, f"/api/v1/namespaces/{VERIFY}/services/{alert_sink}:8080/proxy/cgi-bin/log", raw=True)
        payloads = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [a for p in payloads for a in p["alerts"] if a["labels"]["alertname"] == "KubeliftVerifySinkScraped"]

    alerts = wait_until(received, timeout=180, step=5)
    assert alerts, "Alertmanager did not deliver KubeliftVerifySinkScraped to the webhook receiver"
    assert alerts[0]["status"] == "firing" and alerts[0]["labels"]["namespace"] == VERIFY
    print(f"alert delivered to the webhook {time.monotonic() - started:.0f} s after the sink was first scraped")


def test_alertmanager_has_the_webhook_receiver(api):
    status = api_get(api, f"/api/v1/namespaces/{MONITORING}/services/alertmanager:9093/proxy/api/v2/status")
    assert f"alert-sink.{VERIFY}.svc" in status["config"]["original"]
