"""Verify the add-ons on the lab cluster: CoreDNS, Prometheus, node-exporter and Alertmanager run for real, and
Prometheus scrapes every node; the add-ons whose images the lab does not build yet were accepted by the API
server in a server-side dry run and left nothing running."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from kubernetes import client

from kube_helpers import KUBECONFIG, wait_until

ROOT = Path(__file__).resolve().parents[3]
MONITORING = "monitoring"


def _node_addresses(api):
    nodes = client.CoreV1Api(api).list_node().items
    return {
        n.metadata.name: next(a.address for a in n.status.addresses if a.type == "InternalIP") for n in nodes
    }


def _get(api, url, **params):
    """GET a JSON document from the API server (service proxy URLs included)."""
    request = api.param_serialize("GET", url, query_params=list(params.items()), auth_settings=["BearerToken"])
    response = api.call_api(*request)
    response.read()
    assert response.status == 200, (url, response.status, response.data[:500])
    return json.loads(response.data)


def _prometheus(api, path, **params):
    """GET a Prometheus HTTP API path through the API server's service proxy."""
    body = _get(api, f"/api/v1/namespaces/{MONITORING}/services/prometheus:9090/proxy{path}", **params)
    assert body["status"] == "success", body
    return body["data"]


def test_prometheus_and_node_exporter_are_rolled_out(api):
    apps = client.AppsV1Api(api)

    def rolled_out():
        dep = apps.read_namespaced_deployment("prometheus", MONITORING)
        ds = apps.read_namespaced_daemon_set("node-exporter", MONITORING)
        return (dep.status.available_replicas or 0) == dep.spec.replicas and (
            ds.status.number_ready == ds.status.desired_number_scheduled == len(_node_addresses(api))
        )

    assert wait_until(rolled_out), "Prometheus or node-exporter did not become ready"


def test_alertmanager_runs_with_its_configuration(api):
    """Alertmanager (Debian's prometheus-alertmanager) answers its API with the configuration from the Secret."""
    apps = client.AppsV1Api(api)

    def ready():
        dep = apps.read_namespaced_deployment("alertmanager", MONITORING)
        return (dep.status.available_replicas or 0) == dep.spec.replicas

    assert wait_until(ready), "Alertmanager did not become ready"
    status = _get(api, f"/api/v1/namespaces/{MONITORING}/services/alertmanager:9093/proxy/api/v2/status")
    assert status["cluster"]["status"] in ("disabled", "ready"), status["cluster"]
    assert "receiver: default" in status["config"]["original"], status["config"]["original"]


@pytest.mark.parametrize("job", ["node-exporter", "kubelet", "cadvisor"])
def test_prometheus_has_an_up_target_for_every_node(api, job):
    addresses = _node_addresses(api)

    def up_instances():
        result = _prometheus(api, "/api/v1/query", query=f'up{{job="{job}"}} == 1')["result"]
        return {r["metric"]["instance"].rsplit(":", 1)[0] for r in result}

    # The first scrape comes within one scrape interval (30 s) of Prometheus starting.
    up = wait_until(lambda: set(addresses.values()) <= up_instances(), timeout=120, step=5)
    assert up, f"{job}: up targets {sorted(up_instances())}, nodes {addresses}"


def test_prometheus_scrapes_the_api_server(api):
    def up():
        return _prometheus(api, "/api/v1/query", query='up{job="apiserver"} == 1')["result"]

    assert wait_until(up, timeout=120, step=5), _prometheus(api, "/api/v1/targets", state="active")


def test_node_metrics_carry_real_values(api):
    """node-exporter reads the node: every node reports its memory through Prometheus."""
    result = _prometheus(api, "/api/v1/query", query="node_memory_MemTotal_bytes")["result"]
    assert len(result) == len(_node_addresses(api))
    assert all(float(r["value"][1]) > 0 for r in result)


def test_alert_rules_are_loaded(api):
    groups = _prometheus(api, "/api/v1/rules")["groups"]
    alerts = {rule["name"] for group in groups for rule in group["rules"] if rule["type"] == "alerting"}
    assert {"NodeDown", "PodCrashLooping", "NodeFilesystemFillingUp", "APIServerClientCertificateExpiring"} <= alerts, sorted(
        alerts
    )


@pytest.mark.parametrize(
    ("namespace", "kind", "name"),
    [
        (MONITORING, "Deployment", "kube-state-metrics"),
        (MONITORING, "Deployment", "grafana"),
        (MONITORING, "Secret", "grafana-admin"),
        ("ingress-nginx", "Deployment", "ingress-nginx-controller"),
        ("logging", "DaemonSet", "fluent-bit"),
        ("logging", "StatefulSet", "loki"),
    ],
)
def test_dry_run_components_left_nothing_behind(api, namespace, kind, name):
    """Their namespaces exist (the dry run needs them), the objects do not."""
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.read_namespace(namespace)
    read = {
        "Deployment": apps.read_namespaced_deployment,
        "DaemonSet": apps.read_namespaced_daemon_set,
        "StatefulSet": apps.read_namespaced_stateful_set,
        "Secret": core.read_namespaced_secret,
    }[kind]
    with pytest.raises(client.ApiException) as err:
        read(name, namespace)
    assert err.value.status == 404


def test_coredns_is_managed_by_the_coredns_role_and_ready(api):
    """The coredns role applied its Deployment server-side (field manager kubelift) and CoreDNS runs."""
    apps = client.AppsV1Api(api)

    def ready():
        dep = apps.read_namespaced_deployment("coredns", "kube-system")
        return dep if (dep.status.ready_replicas or 0) == dep.spec.replicas > 0 else None

    dep = wait_until(ready)
    assert dep, "CoreDNS did not become ready"
    managers = {entry.manager for entry in dep.metadata.managed_fields or []}
    assert "kubelift" in managers, managers


def test_traefik_objects_pass_a_server_side_dry_run(api):
    """Traefik, the other ingress controller: its objects go to this API server with a dry run."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    extra = {"kubelift_ingress_controller": "traefik", "traefik_dry_run": True, "traefik_kubeconfig": KUBECONFIG}
    run = subprocess.run(
        ["ansible-playbook", str(ROOT / "playbooks/addons.yml"), "--tags", "traefik", "-e", json.dumps(extra)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Traefik: dry run only; the API server accepted" in run.stdout, run.stdout[-3000:]
    with pytest.raises(client.ApiException):
        client.AppsV1Api(api).read_namespaced_deployment("traefik", "traefik")
