"""Add-ons on the lab cluster besides monitoring and logging (test_monitoring.py, test_logging.py): CoreDNS is
managed by the coredns role, Traefik (the lab's ingress controller) runs, Grafana's objects were only accepted
in a server-side dry run, and ingress-nginx's objects pass one against this API server."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from kubernetes import client

from kube_helpers import KUBECONFIG, wait_until

ROOT = Path(__file__).resolve().parents[3]
MONITORING = "monitoring"


@pytest.mark.parametrize(
    ("namespace", "kind", "name"),
    [
        (MONITORING, "Deployment", "grafana"),
        (MONITORING, "Secret", "grafana-admin"),
    ],
)
def test_dry_run_components_left_nothing_behind(api, namespace, kind, name):
    """Their namespaces exist (the dry run needs them), the objects do not."""
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.read_namespace(namespace)
    read = {"Deployment": apps.read_namespaced_deployment, "Secret": core.read_namespaced_secret}[kind]
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


def test_traefik_runs_as_the_default_ingress_class(api):
    apps, networking = client.AppsV1Api(api), client.NetworkingV1Api(api)

    def ready():
        dep = apps.read_namespaced_deployment("traefik", "traefik")
        return (dep.status.available_replicas or 0) == dep.spec.replicas > 0

    assert wait_until(ready, timeout=240, step=5), "Traefik did not become ready"
    ingress_class = networking.read_ingress_class("traefik")
    assert ingress_class.metadata.annotations["ingressclass.kubernetes.io/is-default-class"] == "true"


def test_ingress_nginx_objects_pass_a_server_side_dry_run(api):
    """ingress-nginx, the default controller (its image cannot be built here): its objects go to this API server
    with a dry run, and nothing of it is stored."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    # Traefik holds the default NodePorts (30080, 30443) in the lab: let the API server choose others.
    extra = {"kubelift_ingress_controller": "ingress-nginx", "ingress_nginx_dry_run": True,
             "ingress_nginx_kubeconfig": KUBECONFIG, "ingress_nginx_http_node_port": 0, "ingress_nginx_https_node_port": 0}
    run = subprocess.run(
        ["ansible-playbook", str(ROOT / "playbooks/addons.yml"), "--tags", "ingress_nginx", "-e", json.dumps(extra)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "ingress-nginx: dry run only; the API server accepted" in run.stdout, run.stdout[-3000:]
    with pytest.raises(client.ApiException):
        client.AppsV1Api(api).read_namespaced_deployment("ingress-nginx-controller", "ingress-nginx")


_QUANTITY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9, "n": 1e-9, "u": 1e-6, "m": 1e-3}


def _quantity(text):
    for suffix, factor in sorted(_QUANTITY.items(), key=lambda item: -len(item[0])):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


@pytest.mark.parametrize("namespace", ["monitoring", "logging", "traefik"])
def test_addon_containers_have_requests_limits_and_stay_within_them(api, namespace):
    """Every observability and ingress add-on container has CPU and memory requests, a memory limit and a seccomp profile; its usage now
    (metrics.k8s.io) is printed (docs/addons.md has the figures) and is under its memory limit."""
    core = client.CoreV1Api(api)
    pods = [p for p in core.list_namespaced_pod(namespace).items
            if (p.metadata.labels or {}).get("app.kubernetes.io/managed-by") == "kubelift"]
    assert pods, f"no kubelift pod in {namespace}"
    usage = {}
    metrics = client.CustomObjectsApi(api).list_namespaced_custom_object("metrics.k8s.io", "v1beta1", namespace, "pods")
    for item in metrics["items"]:
        for c in item["containers"]:
            usage[(item["metadata"]["name"], c["name"])] = (_quantity(c["usage"]["cpu"]), _quantity(c["usage"]["memory"]))
    for pod in pods:
        pod_seccomp = pod.spec.security_context and pod.spec.security_context.seccomp_profile
        for c in pod.spec.containers:
            resources = c.resources
            assert resources.requests and {"cpu", "memory"} <= set(resources.requests), (pod.metadata.name, c.name)
            assert resources.limits and "memory" in resources.limits, (pod.metadata.name, c.name)
            seccomp = (c.security_context and c.security_context.seccomp_profile) or pod_seccomp
            assert seccomp and seccomp.type in ("RuntimeDefault", "Localhost"), (pod.metadata.name, c.name)
            cpu, memory = usage.get((pod.metadata.name, c.name), (None, None))
            limit = _quantity(resources.limits["memory"])
            print(f"usage {namespace}/{pod.metadata.name}/{c.name}: cpu {cpu if cpu is None else round(cpu * 1000)}m, "
                  f"memory {memory if memory is None else round(memory / 2**20)}Mi "
                  f"(requests {resources.requests}, memory limit {resources.limits['memory']})")
            if memory is not None:
                assert memory < limit, (pod.metadata.name, c.name, memory, limit)
