"""Logs on the lab cluster: the OpenTelemetry Collector on every node ships container logs to VictoriaLogs, where a
query on namespace and pod finds a line a pod wrote, with its node and container, and still finds it after the
pod is gone."""

import time
import uuid

from kubernetes import client

from kube_helpers import api_get, wait_until

LOGGING = "logging"
NAMESPACE = "kubelift-logs"


def _logsql(api, query):
    """Matching lines as dicts (VictoriaLogs answers JSON lines)."""
    import json

    text = api_get(api, f"/api/v1/namespaces/{LOGGING}/services/victorialogs:9428/proxy/select/logsql/query",
                   raw=True, query=query, limit="100")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_log_pipeline_is_rolled_out(api):
    apps = client.AppsV1Api(api)
    nodes = len(client.CoreV1Api(api).list_node().items)

    def ready():
        agent = apps.read_namespaced_daemon_set("otel-collector", LOGGING)
        store = apps.read_namespaced_stateful_set("victorialogs", LOGGING)
        return agent.status.number_ready == agent.status.desired_number_scheduled == nodes and (
            (store.status.ready_replicas or 0) == store.spec.replicas)

    assert wait_until(ready, timeout=300, step=5), "the log agent or VictoriaLogs did not become ready"


def test_a_pod_line_is_found_by_namespace_and_pod_and_kept_after_the_pod(api):
    core = client.CoreV1Api(api)
    token = "kubelift-log-check-" + uuid.uuid4().hex[:12]
    pod = "log-writer"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NAMESPACE)))
    try:
        core.create_namespaced_pod(NAMESPACE, client.V1Pod(
            metadata=client.V1ObjectMeta(name=pod),
            spec=client.V1PodSpec(restart_policy="Never", containers=[client.V1Container(
                name="writer", image="docker.io/kubelift/busybox:lab",
                command=["sh", "-c", f"echo {token}; sleep 3600"],
                resources=client.V1ResourceRequirements(requests={"cpu": "5m", "memory": "8Mi"}, limits={"memory": "16Mi"}),
                security_context=client.V1SecurityContext(allow_privilege_escalation=False, run_as_user=65534))])))
        running = wait_until(lambda: core.read_namespaced_pod(pod, NAMESPACE).status.phase == "Running", timeout=120)
        assert running, core.read_namespaced_pod(pod, NAMESPACE).status
        node = core.read_namespaced_pod(pod, NAMESPACE).spec.node_name
        started = time.monotonic()
        query = f'"k8s.namespace.name":="{NAMESPACE}" AND "k8s.pod.name":="{pod}" AND "{token}"'
        lines = wait_until(lambda: _logsql(api, query), timeout=60, step=2)
        took = time.monotonic() - started
        assert lines, f"no line of {NAMESPACE}/{pod} in VictoriaLogs within 60 s ({query})"
        print(f"the pod's line was found in VictoriaLogs {took:.0f} s after the pod ran")
        line = lines[0]
        assert token in line["_msg"], line
        assert line["k8s.node.name"] == node and line["k8s.container.name"] == "writer", line

        core.delete_namespaced_pod(pod, NAMESPACE, grace_period_seconds=0)
        gone = wait_until(lambda: pod not in {p.metadata.name for p in core.list_namespaced_pod(NAMESPACE).items}, timeout=120)
        assert gone, "the log writer pod was not deleted"
        assert _logsql(api, query), "the deleted pod's line is no longer found"
    finally:
        core.delete_namespace(NAMESPACE)
