"""Verify the lab cluster: host state with testinfra, cluster state with the kubernetes client."""

import os
import subprocess
import time
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.stream import stream

from kube_helpers import KUBECONFIG, wait_until

BUNDLE = Path(os.environ.get("KUBELIFT_CACHE", "/var/cache/kubelift")) / "bundles/kubernetes-1.36.3-amd64"
CONTROL_PLANE = "kubelift-cluster-cp1"
WORKERS = ["kubelift-cluster-w1", "kubelift-cluster-w2"]
NAMESPACE = "kubelift-verify"
IMAGE = "docker.io/kubelift/busybox:lab"


# Host state ---------------------------------------------------------------------------------------

def test_runtime_and_kubelet_run(host):
    for service in ("containerd", "kubelet"):
        svc = host.service(service)
        assert svc.is_running, f"{service} is not running"
        assert svc.is_enabled, f"{service} is not enabled"


def test_node_is_joined(host):
    assert host.file("/etc/kubernetes/kubelet.conf").exists
    assert host.file("/var/lib/kubelet/config.yaml").exists


def test_kubelet_answers_health(host):
    out = host.check_output("curl -s http://127.0.0.1:10248/healthz")
    assert out.strip() == "ok"


# Cluster state ------------------------------------------------------------------------------------

def test_every_node_is_ready(core):
    def ready_nodes():
        ready = set()
        for node in core.list_node().items:
            for cond in node.status.conditions or []:
                if cond.type == "Ready" and cond.status == "True":
                    ready.add(node.metadata.name)
        return ready

    ready = wait_until(lambda: ready_nodes() >= {CONTROL_PLANE, *WORKERS} and ready_nodes(), timeout=120)
    assert ready_nodes() == {CONTROL_PLANE, *WORKERS}, f"ready nodes: {sorted(ready or [])}"


@pytest.mark.parametrize("component", ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"])
def test_control_plane_static_pods_run(core, component):
    pod = core.read_namespaced_pod(f"{component}-{CONTROL_PLANE}", "kube-system")
    assert pod.status.phase == "Running"
    assert all(cs.ready for cs in pod.status.container_statuses), f"{component} is not ready"


def test_kube_proxy_runs_on_every_node(core):
    pods = core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-proxy").items
    running = {p.spec.node_name for p in pods if p.status.phase == "Running"}
    assert running == {CONTROL_PLANE, *WORKERS}


def test_nodes_have_pod_cidrs(core):
    cidrs = {n.metadata.name: n.spec.pod_cidr for n in core.list_node().items}
    assert all(cidrs.values()), cidrs
    assert len(set(cidrs.values())) == len(cidrs)


def _create_pod(core, pod, timeout=60):
    """Create a pod, retrying while a new namespace's service account has no token yet (500)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            core.create_namespaced_pod(NAMESPACE, pod)
            return
        except client.ApiException as exc:
            if exc.status == 409:
                return
            if exc.status != 500 or "No API token found" not in (exc.body or "") or time.monotonic() > deadline:
                raise
        time.sleep(1)


@pytest.fixture(scope="module")
def web_pods(core):
    """One busybox HTTP server pinned to each worker."""
    try:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE)))
    except client.ApiException as exc:
        if exc.status != 409:
            raise
    names = []
    for worker in WORKERS:
        name = f"web-{worker.rsplit('-', 1)[-1]}"
        names.append(name)
        pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, labels={"app": "kubelift-verify"}),
            spec=client.V1PodSpec(
                node_name=worker,
                restart_policy="Never",
                termination_grace_period_seconds=0,
                containers=[
                    client.V1Container(
                        name="web",
                        image=IMAGE,
                        command=["/bin/sh", "-c",
                                 f"mkdir -p /www && echo served-by-{name} > /www/index.html && exec httpd -f -p 8080 -h /www"],
                        ports=[client.V1ContainerPort(container_port=8080)],
                        readiness_probe=client.V1Probe(
                            tcp_socket=client.V1TCPSocketAction(port=8080), period_seconds=1),
                    )
                ],
            ),
        )
        _create_pod(core, pod)

    def all_ready():
        pods = [core.read_namespaced_pod(n, NAMESPACE) for n in names]
        ok = all(p.status.phase == "Running" and p.status.pod_ip
                 and all(cs.ready for cs in p.status.container_statuses or []) for p in pods)
        return pods if ok else None

    pods = wait_until(all_ready, timeout=180)
    assert pods, "verification pods did not become ready: " + "; ".join(
        f"{n}: {core.read_namespaced_pod(n, NAMESPACE).status.phase}" for n in names)
    yield {p.metadata.name: p for p in pods}
    core.delete_namespace(NAMESPACE)


def test_pods_answer_http_across_nodes(core, web_pods):
    (a_name, a), (b_name, b) = sorted(web_pods.items())
    assert a.spec.node_name != b.spec.node_name
    for src, dst in ((a, b), (b, a)):
        out = stream(
            core.connect_get_namespaced_pod_exec, src.metadata.name, NAMESPACE,
            # busybox's wget segfaults in Debian bookworm's build; speak HTTP/1.0 through nc instead
            command=["sh", "-c", f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {dst.status.pod_ip} 8080"],
            stderr=True, stdin=False, stdout=True, tty=False,
        )
        assert out.startswith("HTTP/1.") and out.rstrip().endswith(f"served-by-{dst.metadata.name}"), (
            f"{src.metadata.name} ({src.spec.node_name}) -> {dst.status.pod_ip} ({dst.spec.node_name}): {out!r}")


def test_kubectl_works_from_the_controller():
    kubectl = BUNDLE / "bin" / "kubectl"
    out = subprocess.run([str(kubectl), "--kubeconfig", KUBECONFIG, "get", "nodes", "-o", "name"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    assert sorted(out.split()) == sorted(f"node/{n}" for n in [CONTROL_PLANE, *WORKERS])
    assert oct(os.stat(KUBECONFIG).st_mode & 0o777) == "0o600"
