"""The lab runs the Kubernetes users run: the 1.36 release from the lab bundle, kubeadm's own preflight, flannel
(VXLAN) between nodes, cluster DNS from CoreDNS, and the resource metrics API from metrics-server."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.stream import stream

from kube_helpers import KUBECONFIG, wait_until

VERSION = "1.36.3"
CONTROL_PLANE = "kubelift-cluster-cp1"
NODES = [CONTROL_PLANE, "kubelift-cluster-w1", "kubelift-cluster-w2"]
BUNDLE = Path(os.environ.get("KUBELIFT_CACHE", "/var/cache/kubelift")) / f"bundles/kubernetes-{VERSION}-amd64"
IMAGE = "docker.io/kubelift/busybox:lab"
CLIENT_NS = "kubelift-dns-client"
SERVER_NS = "kubelift-dns-server"


def _kubectl(*args, timeout=60):
    return subprocess.run([str(BUNDLE / "bin" / "kubectl"), "--kubeconfig", KUBECONFIG, *args],
                          capture_output=True, text=True, timeout=timeout, check=False)


# Release and kubeadm ------------------------------------------------------------------------------

def test_server_and_every_kubelet_run_the_lab_release(api, core):
    assert client.VersionApi(api).get_code().git_version == f"v{VERSION}"
    kubelets = {n.metadata.name: n.status.node_info.kubelet_version for n in core.list_node().items}
    assert kubelets == {name: f"v{VERSION}" for name in NODES}


def test_kubectl_reports_the_server_version():
    run = _kubectl("version", "-o", "json")
    assert run.returncode == 0, run.stderr
    version = json.loads(run.stdout)
    assert version["serverVersion"]["gitVersion"] == f"v{VERSION}"
    assert version["clientVersion"]["gitVersion"] == f"v{VERSION}"


def test_kubeadm_ran_its_preflight_checks(host):
    """kubeadm init (first control plane) and kubeadm join (the others) ran every phase, preflight included
    (crictl is on the nodes); in the lab only the SystemVerification check, which reports the host's cgroup v1,
    is downgraded to a warning."""
    first = host.backend.get_hostname() == CONTROL_PLANE
    log = host.file("/var/log/kubelift/kubeadm-init.log" if first else "/var/log/kubelift/kubeadm-join.log")
    assert log.exists and log.mode == 0o600
    text = log.content_string
    assert "[preflight] Running pre-flight checks" in text, text[:2000]
    if first:
        config = yaml.safe_load_all(host.file("/etc/kubernetes/kubeadm-config.yaml").content_string)
        init = next(doc for doc in config if doc["kind"] == "InitConfiguration")
        assert init["apiVersion"] == "kubeadm.k8s.io/v1beta4"
        assert "skipPhases" not in init
        assert init["nodeRegistration"].get("ignorePreflightErrors", []) == ["SystemVerification"]
    else:
        assert "This node has joined the cluster" in text, text[-2000:]


def test_crictl_talks_to_containerd(host):
    out = host.check_output("crictl --version")
    assert out.strip() == "crictl version v1.36.0", out
    info = json.loads(host.check_output("crictl info"))
    assert info["status"]["conditions"][0]["status"] is True


# Pod network: flannel over VXLAN ------------------------------------------------------------------

def test_flannel_runs_on_every_node(api):
    apps = client.AppsV1Api(api)

    def ready():
        ds = apps.read_namespaced_daemon_set("kube-flannel-ds", "kube-flannel")
        return ds if ds.status.number_ready == ds.status.desired_number_scheduled == len(NODES) else None

    assert wait_until(ready), "flannel is not ready on every node"


def test_nodes_use_flannels_vxlan_backend(core):
    for node in core.list_node().items:
        annotations = node.metadata.annotations or {}
        assert annotations.get("flannel.alpha.coreos.com/backend-type") == "vxlan", (node.metadata.name, annotations)


def test_other_nodes_pod_cidrs_route_over_the_vxlan_device(host, core):
    """Each node reaches the other nodes' pod CIDRs through flannel.1, the VXLAN device flannel made."""
    me = host.backend.get_hostname()
    assert host.interface("flannel.1").exists
    details = host.check_output("ip -d link show flannel.1")
    assert "vxlan id 1" in details, details
    routes = host.check_output("ip route")
    for node in core.list_node().items:
        if node.metadata.name == me:
            continue
        line = next((r for r in routes.splitlines() if r.startswith(node.spec.pod_cidr.split("/")[0])), "")
        assert "dev flannel.1" in line, (node.metadata.name, node.spec.pod_cidr, routes)


# Cluster DNS ----------------------------------------------------------------------------------------

def _namespace(core, name):
    try:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    except client.ApiException as exc:
        if exc.status != 409:
            raise


def _create(create, namespace, body, timeout=60):
    """Create an object, retrying while a new namespace's default service account is not there yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return create(namespace, body)
        except client.ApiException as exc:
            if exc.status == 409:
                return None
            if time.monotonic() > deadline or exc.status not in (403, 500):
                raise
        time.sleep(1)


@pytest.fixture(scope="module")
def dns_pods(core):
    """An HTTP server behind a Service in one namespace, a client pod in another (on another node)."""
    _namespace(core, CLIENT_NS)
    _namespace(core, SERVER_NS)
    server = client.V1Pod(
        metadata=client.V1ObjectMeta(name="web", labels={"app": "web"}),
        spec=client.V1PodSpec(
            node_name=NODES[1], termination_grace_period_seconds=0,
            containers=[client.V1Container(
                name="web", image=IMAGE,
                command=["/bin/sh", "-c", "mkdir -p /www && echo served-by-web > /www/index.html && "
                         "exec httpd -f -p 8080 -h /www"],
                readiness_probe=client.V1Probe(tcp_socket=client.V1TCPSocketAction(port=8080), period_seconds=1))]))
    service = client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(selector={"app": "web"},
                                  ports=[client.V1ServicePort(port=80, target_port=8080)]))
    probe = client.V1Pod(
        metadata=client.V1ObjectMeta(name="probe"),
        spec=client.V1PodSpec(
            node_name=NODES[2], termination_grace_period_seconds=0,
            containers=[client.V1Container(name="probe", image=IMAGE, command=["sleep", "3600"])]))
    _create(core.create_namespaced_pod, SERVER_NS, server)
    _create(core.create_namespaced_service, SERVER_NS, service)
    _create(core.create_namespaced_pod, CLIENT_NS, probe)

    def ready():
        pods = [core.read_namespaced_pod("web", SERVER_NS), core.read_namespaced_pod("probe", CLIENT_NS)]
        return all(p.status.phase == "Running" and all(c.ready for c in p.status.container_statuses or [])
                   for p in pods)

    assert wait_until(ready, timeout=180), "DNS test pods did not become ready"
    yield core.read_namespaced_service("web", SERVER_NS)
    core.delete_namespace(CLIENT_NS)
    core.delete_namespace(SERVER_NS)


def _exec(core, command):
    started = time.monotonic()
    resp = stream(core.connect_get_namespaced_pod_exec, "probe", CLIENT_NS, command=["sh", "-c", command + "; echo rc=$?"],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=60)
    out = resp.read_stdout() + resp.read_stderr()
    return out, time.monotonic() - started


def test_a_service_name_in_another_namespace_resolves_and_answers(core, dns_pods):
    name = f"web.{SERVER_NS}.svc.cluster.local"
    out, _ = _exec(core, f"nslookup {name}")
    assert "rc=0" in out and dns_pods.spec.cluster_ip in out, out
    # The short form through the pod's search path, and HTTP through the Service's name.
    out, _ = _exec(core, f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 web.{SERVER_NS} 80")
    assert "served-by-web" in out, out


def test_a_name_outside_the_cluster_fails_cleanly(core, dns_pods):
    """No internet in the lab: an external-style name gets an answer that says it failed, quickly."""
    out, took = _exec(core, "nslookup kubelift-lab-check.example.invalid")
    assert "rc=0" not in out, out
    assert took < 30, f"the lookup took {took:.1f} s: {out}"


# Resource metrics --------------------------------------------------------------------------------

def test_metrics_api_is_available(api):
    registration = client.ApiregistrationV1Api(api)

    def available():
        svc = registration.read_api_service("v1beta1.metrics.k8s.io")
        return any(c.type == "Available" and c.status == "True" for c in svc.status.conditions or [])

    assert wait_until(available, timeout=180), "the metrics API (metrics-server) is not Available"


def test_kubectl_top_nodes_lists_every_node():
    def top():
        run = _kubectl("top", "nodes", "--no-headers")
        if run.returncode != 0:
            return None
        rows = [line.split() for line in run.stdout.splitlines() if line.strip()]
        return rows if {row[0] for row in rows} == set(NODES) else None

    rows = wait_until(top, timeout=180, step=5)
    assert rows, _kubectl("top", "nodes").stderr
    for name, cpu, _cpu_pct, memory, _mem_pct in rows:
        assert cpu.endswith("m") and int(cpu[:-1]) > 0, (name, cpu)
        assert memory.endswith("Mi") and int(memory[:-2]) > 0, (name, memory)
