"""The logging role's choices: log agent (OpenTelemetry Collector or fluent-bit) x log store (VictoriaLogs or Loki).

Every combination is rendered exactly as the role renders it and validated strictly against Kubernetes 1.33-1.37;
the collector's configuration uses only the components the lab's collector is built with; each agent ships to the
store chosen; the preflight refuses bad choices, retentions and sizes, naming the variable.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml
from ansible.parsing.dataloader import DataLoader

from _playbook import role_play, run_play
from _addon_render import ROLES_DIR, applied_templates, evaluate, render, role_variables, template_files, validate_strictly

kubernetes_validate.utils.schema_contents = lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROLES_DIR / "logging"
K8S_VERSIONS = ["1.33", "1.34", "1.35", "1.36", "1.37"]
AGENTS = ("otel-collector", "fluent-bit")
BACKENDS = ("victorialogs", "loki")
COMBINATIONS = [(agent, backend) for agent in AGENTS for backend in BACKENDS]
COMBINATION_IDS = [f"{agent}+{backend}" for agent, backend in COMBINATIONS]

# Components of the lab's collector (hack/images/otelcol): type -> kind. Collector 0.165 names three of them
# file_log, k8s_attributes and otlp_http; filelog, k8sattributes and otlphttp are their deprecated aliases.
ALLOWED_COMPONENTS = {
    "receivers": {"file_log", "filelog"},
    "processors": {"k8s_attributes", "k8sattributes", "memory_limiter", "batch"},
    "exporters": {"otlp_http", "otlphttp", "debug"},
    "extensions": {"health_check", "file_storage"},
}
STREAM_FIELDS = "k8s.namespace.name,k8s.pod.name,k8s.container.name"


def variables(agent: str = "otel-collector", backend: str = "victorialogs", **overrides) -> dict:
    return role_variables("logging", {"logging_agent": agent, "logging_backend": backend, **overrides})


@lru_cache(maxsize=None)
def _rendered(agent: str, backend: str, overrides: str) -> str:
    values = variables(agent, backend, **json.loads(overrides))
    items = []
    for template in applied_templates("logging", values):
        items.extend({"template": template, "object": obj} for obj in render("logging", template, values))
    return json.dumps(items)


def rendered(agent: str = "otel-collector", backend: str = "victorialogs", **overrides) -> list[dict]:
    return json.loads(_rendered(agent, backend, json.dumps(overrides, sort_keys=True)))


def objects(agent="otel-collector", backend="victorialogs", kind=None, **overrides) -> list[dict]:
    return [i["object"] for i in rendered(agent, backend, **overrides) if kind is None or i["object"]["kind"] == kind]


def find(kind: str, name: str, agent="otel-collector", backend="victorialogs", **overrides) -> dict:
    found = [o for o in objects(agent, backend, kind, **overrides) if o["metadata"]["name"] == name]
    assert len(found) == 1, f"{agent}+{backend}: expected one {kind}/{name}, found {len(found)}"
    return found[0]


def container(workload: dict) -> dict:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def otel_config(backend: str = "victorialogs", **overrides) -> dict:
    text = find("ConfigMap", "otel-collector-config", "otel-collector", backend, **overrides)["data"]["config.yaml"]
    return yaml.safe_load(text)


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(Ki|Mi|Gi)?", quantity).groups()
    return float(number) * {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, None: 1 / 1048576}[unit]


# --- every combination ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(("agent", "backend"), COMBINATIONS, ids=COMBINATION_IDS)
def test_every_combination_validates_strictly(agent, backend, version):
    for overrides in ({}, {f"logging_{backend}_storage": "pvc", f"logging_{backend}_storage_class": "local-path"}):
        items = rendered(agent, backend, **overrides)
        assert items
        for item in items:
            validate_strictly(item["object"], version, f"{agent}+{backend} {item['template']} {item['object']['kind']}")


@pytest.mark.parametrize(("agent", "backend"), COMBINATIONS, ids=COMBINATION_IDS)
def test_a_combination_applies_its_agent_and_store_only(agent, backend):
    assert applied_templates("logging", variables(agent, backend)) == ["namespace.yaml.j2", f"{backend}.yaml.j2", f"{agent}.yaml.j2"]
    workloads = {(o["kind"], o["metadata"]["name"]) for o in objects(agent, backend) if o["kind"] in ("DaemonSet", "StatefulSet")}
    assert workloads == {("DaemonSet", agent), ("StatefulSet", backend)}
    namespace = find("Namespace", "logging", agent, backend)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    for obj in objects(agent, backend):
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kubelift"


@pytest.mark.parametrize(("agent", "backend"), COMBINATIONS, ids=COMBINATION_IDS)
def test_the_objects_of_the_other_agent_and_store_are_removed(agent, backend):
    """What a switch removes is exactly what the other agent's and store's templates create (a claim stays)."""
    catalogue = evaluate(variables(agent, backend), "{{ _logging_component_objects }}")
    for component in AGENTS + BACKENDS:
        other_agent = component if component in AGENTS else agent
        other_backend = component if component in BACKENDS else backend
        made = {
            (o["apiVersion"], o["kind"], o["metadata"]["name"])
            for o in objects(other_agent, other_backend)
            if o["kind"] != "Namespace" and o["metadata"]["labels"].get("app.kubernetes.io/name") == component
        }
        assert {(o["api_version"], o["kind"], o["name"]) for o in catalogue[component]} == made, component
    removed = evaluate(variables(agent, backend), "{{ _logging_removed_objects }}")
    others = [c for c in AGENTS + BACKENDS if c not in (agent, backend)]
    assert removed == [o for c in others for o in catalogue[c]]


def test_the_dry_run_covers_every_object_of_the_combination():
    """install.yml renders _logging_templates into _logging_objects and dry-runs all of them but the Namespace."""
    tasks = yaml.safe_load((ROLE / "tasks" / "install.yml").read_text())
    by_name = {task["name"]: task for task in tasks}
    assert by_name["Logging manifests rendered"]["loop"] == "{{ _logging_templates }}"
    dry_run = by_name["Logging objects checked with a server-side dry run (logging_dry_run)"]
    assert dry_run["vars"]["_kubelift_dry_run_objects"] == "{{ _logging_objects | rejectattr('kind', 'eq', 'Namespace') | list }}"
    removal = by_name["Objects of the log agent and store not chosen removed"]
    assert "not logging_dry_run | bool" in removal["when"]


def test_rendered_images_follow_the_choice_and_the_registry():
    for agent, backend in COMBINATIONS:
        images = {container(o)["image"] for o in objects(agent, backend) if o["kind"] in ("DaemonSet", "StatefulSet")}
        expected = {
            "otel-collector": "docker.io/otel/opentelemetry-collector-k8s:0.165.1",
            "fluent-bit": "docker.io/fluent/fluent-bit:4.2.2",
            "victorialogs": "docker.io/victoriametrics/victoria-logs:v1.52.2",
            "loki": "docker.io/grafana/loki:3.6.3",
        }
        assert images == {expected[agent], expected[backend]}
    mirrored = {container(o)["image"] for o in objects(logging_registry="mirror.example:5000/hub") if o["kind"] in ("DaemonSet", "StatefulSet")}
    assert mirrored == {"mirror.example:5000/hub/otel/opentelemetry-collector-k8s:0.165.1",
                        "mirror.example:5000/hub/victoriametrics/victoria-logs:v1.52.2"}


# --- the OpenTelemetry Collector ------------------------------------------------------------------------------


def _component_type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_collector_config_uses_only_the_lab_components(backend):
    config = otel_config(backend)
    assert set(config) == {"extensions", "receivers", "processors", "exporters", "service"}
    for kind, allowed in ALLOWED_COMPONENTS.items():
        used = {_component_type(component) for component in config[kind]}
        assert used <= allowed, f"{kind}: {sorted(used - allowed)} are not in the lab's collector"
    assert not config.get("connectors")


@pytest.mark.parametrize("backend", BACKENDS)
def test_collector_pipeline_references_only_defined_components(backend):
    config = otel_config(backend)
    service = config["service"]
    assert set(service["extensions"]) == set(config["extensions"])
    assert set(service["pipelines"]) == {"logs"}
    pipeline = service["pipelines"]["logs"]
    for kind in ("receivers", "processors", "exporters"):
        assert pipeline[kind], f"the logs pipeline has no {kind}"
        assert set(pipeline[kind]) <= set(config[kind]), f"{kind} {sorted(set(pipeline[kind]) - set(config[kind]))} are not defined"
        assert set(config[kind]) <= set(pipeline[kind]), f"{kind} {sorted(set(config[kind]) - set(pipeline[kind]))} are never used"
    # The memory limiter refuses data before anything else holds it; batching comes last.
    processors = [_component_type(p) for p in pipeline["processors"]]
    assert processors[0] == "memory_limiter" and processors[-1] == "batch"
    # Components that name a storage extension name a defined one.
    receiver = config["receivers"][pipeline["receivers"][0]]
    exporter = config["exporters"][next(e for e in pipeline["exporters"] if _component_type(e) != "debug")]
    for storage in (receiver["storage"], exporter["sending_queue"]["storage"]):
        assert storage in config["extensions"] and _component_type(storage) == "file_storage"


def test_collector_reads_pod_logs_from_where_it_stopped():
    config = otel_config()
    receiver = config["receivers"]["file_log"]
    assert receiver["include"] == ["/var/log/pods/*/*/*.log"]
    # Its own pods' files are left out: /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log
    assert receiver["exclude"] == ["/var/log/pods/logging_otel-collector-*_*/otel-collector/*.log"]
    own = find("DaemonSet", "otel-collector")
    assert own["metadata"]["namespace"] == "logging" and container(own)["name"] == "otel-collector"
    # A fresh agent reads every file from its start; stored positions take over after that.
    assert receiver["start_at"] == "beginning"
    assert receiver["storage"] == "file_storage"
    assert receiver["include_file_path"] is True
    assert [op["type"] for op in receiver["operators"]] == ["container"]
    assert receiver["retry_on_failure"]["enabled"] is True
    # The storage directory is the node's, under /var/lib, and survives the pod.
    directory = config["extensions"]["file_storage"]["directory"]
    assert directory.startswith("/var/lib/")
    assert config["extensions"]["file_storage"]["compaction"]["directory"] == directory
    spec = own["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in container(own)["volumeMounts"]}
    assert volumes[mounts[directory]["name"]]["hostPath"] == {"path": directory, "type": "DirectoryOrCreate"}
    assert mounts["/var/log/pods"]["readOnly"] is True
    assert volumes[mounts["/var/log/pods"]["name"]]["hostPath"]["path"] == "/var/log/pods"
    assert {v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v} == {"/var/log/pods", directory}


def test_collector_adds_kubernetes_metadata_of_its_node_only():
    config = otel_config()
    processor = config["processors"]["k8s_attributes"]
    env = {e["name"]: e for e in container(find("DaemonSet", "otel-collector"))["env"]}
    variable = processor["filter"]["node_from_env_var"]
    assert env[variable]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert config["receivers"]["file_log"]["resource"]["k8s.node.name"] == "${env:%s}" % variable
    metadata = processor["extract"]["metadata"]
    assert {"k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.node.name", "k8s.deployment.name"} <= set(metadata)
    assert "app.kubernetes.io/name" in {label["key"] for label in processor["extract"]["labels"]}
    # Log files carry no pod IP: the pod is found by the UID (or name and namespace) the container operator read.
    assert processor["pod_association"][0] == {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]}
    rules = find("ClusterRole", "kubelift:otel-collector")["rules"]
    assert rules == [
        {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
    ]
    binding = find("ClusterRoleBinding", "kubelift:otel-collector")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "otel-collector", "namespace": "logging"}]
    assert binding["roleRef"]["name"] == "kubelift:otel-collector"


def test_collector_runs_locked_down_with_memory_below_its_limit():
    ds = find("DaemonSet", "otel-collector")
    spec = ds["spec"]["template"]["spec"]
    otel = container(ds)
    assert otel["command"] == ["/otelcol-k8s"]
    assert otel["args"] == ["--config=/etc/otel-collector/config.yaml"]
    assert {m["mountPath"]: m["name"] for m in otel["volumeMounts"]}["/etc/otel-collector"] == "config"
    assert {v["name"]: v for v in spec["volumes"]}["config"]["configMap"]["name"] == "otel-collector-config"
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"operator": "Exists"} in spec["tolerations"]
    context = otel["securityContext"]
    assert context["runAsUser"] == 0  # the log files are root's, mode 0640
    assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert not spec.get("hostNetwork") and not spec.get("hostPID")
    resources = otel["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    limit = mebibytes(resources["limits"]["memory"])
    limiter = otel_config()["processors"]["memory_limiter"]
    assert 0 < limiter["spike_limit_mib"] < limiter["limit_mib"] < limit
    env = {e["name"]: e.get("value") for e in otel["env"]}
    assert env["GOMEMLIMIT"] == f"{limiter['limit_mib']}MiB"
    # Probes go to the health_check extension, which listens on the pod's address.
    health = otel_config()["extensions"]["health_check"]
    port = int(health["endpoint"].rsplit(":", 1)[1])
    assert health["endpoint"].startswith("${env:POD_IP}:")
    assert env.get("POD_IP") is None and {e["name"]: e for e in otel["env"]}["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    ports = {p["name"]: p["containerPort"] for p in otel["ports"]}
    for probe in (otel["readinessProbe"], otel["livenessProbe"]):
        assert probe["httpGet"]["path"] == health["path"] and ports[probe["httpGet"]["port"]] == port


def test_collector_config_change_rolls_the_pods():
    hashes = {
        backend: find("DaemonSet", "otel-collector", "otel-collector", backend)["spec"]["template"]["metadata"]["annotations"][
            "kubelift.io/config-hash"
        ]
        for backend in BACKENDS
    }
    assert len(set(hashes.values())) == 2


# --- each agent ships to the store chosen ----------------------------------------------------------------------


def test_collector_sends_otlp_to_victorialogs_with_stream_fields():
    exporter = otel_config("victorialogs")["exporters"]["otlp_http"]
    assert exporter["endpoint"] == "http://victorialogs.logging.svc.cluster.local:9428/insert/opentelemetry"
    assert exporter["headers"] == {"VL-Stream-Fields": STREAM_FIELDS}
    service = find("Service", "victorialogs")
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(9428, "http")]
    assert service["spec"]["selector"] == find("StatefulSet", "victorialogs")["spec"]["selector"]["matchLabels"]


def test_collector_sends_otlp_to_loki():
    exporter = otel_config("loki")["exporters"]["otlp_http"]
    assert exporter["endpoint"] == "http://loki.logging.svc.cluster.local:3100/otlp"
    assert "headers" not in exporter
    loki = yaml.safe_load(find("ConfigMap", "loki-config", "otel-collector", "loki")["data"]["loki.yaml"])
    assert loki["limits_config"]["allow_structured_metadata"] is True
    fluent_bit_loki = yaml.safe_load(find("ConfigMap", "loki-config", "fluent-bit", "loki")["data"]["loki.yaml"])
    assert "allow_structured_metadata" not in fluent_bit_loki["limits_config"]  # unchanged for fluent-bit


def test_the_store_address_follows_namespace_and_cluster_domain():
    overrides = {"logging_namespace": "logs", "kubelift_cluster_domain": "k8s.example"}
    assert otel_config("victorialogs", **overrides)["exporters"]["otlp_http"]["endpoint"] == (
        "http://victorialogs.logs.svc.k8s.example:9428/insert/opentelemetry")
    assert otel_config("loki", **overrides)["exporters"]["otlp_http"]["endpoint"] == "http://loki.logs.svc.k8s.example:3100/otlp"
    assert otel_config("victorialogs", **overrides)["receivers"]["file_log"]["exclude"] == [
        "/var/log/pods/logs_otel-collector-*_*/otel-collector/*.log"]


def _fluent_bit_sections(backend: str) -> list[tuple[str, dict]]:
    conf = find("ConfigMap", "fluent-bit-config", "fluent-bit", backend)["data"]["fluent-bit.conf"]
    sections: list[tuple[str, dict]] = []
    for line in conf.splitlines():
        if line.startswith("["):
            sections.append((line.strip(), {}))
        elif line.startswith("    ") and sections:
            key, _, value = line.strip().partition(" ")
            sections[-1][1].setdefault(key, []).append(value.strip())
    return sections


def test_fluent_bit_ships_json_lines_to_victorialogs_with_the_collector_field_names():
    sections = _fluent_bit_sections("victorialogs")
    assert [name for name, _ in sections] == ["[SERVICE]", "[INPUT]", "[FILTER]", "[FILTER]", "[FILTER]", "[OUTPUT]"]
    output = sections[-1][1]
    assert output["Name"] == ["http"]
    assert output["Host"] == ["victorialogs.logging.svc.cluster.local"] and output["Port"] == ["9428"]
    uri = output["URI"][0]
    path, _, query = uri.partition("?")
    args = dict(arg.split("=", 1) for arg in query.split("&"))
    assert path == "/insert/jsonline"
    assert args["_stream_fields"] == STREAM_FIELDS
    assert args["_time_field"] == output["Json_Date_Key"][0]
    assert output["Format"] == ["json_lines"]
    renames = dict(value.split(" ", 1) for value in sections[4][1]["Rename"])
    lifted = sections[3][1]
    assert lifted["Operation"] == ["lift"] and lifted["Nested_under"] == ["kubernetes"]
    prefix = lifted["Add_prefix"][0]
    assert {renames[prefix + key] for key in ("namespace_name", "pod_name", "container_name", "host")} == {
        "k8s.namespace.name", "k8s.pod.name", "k8s.container.name", "k8s.node.name"}


def test_fluent_bit_ships_to_loki_as_before():
    sections = _fluent_bit_sections("loki")
    assert [name for name, _ in sections] == ["[SERVICE]", "[INPUT]", "[FILTER]", "[OUTPUT]"]
    output = sections[-1][1]
    assert output["Name"] == ["loki"] and output["Host"] == ["loki.logging.svc.cluster.local"] and output["Port"] == ["3100"]


# --- VictoriaLogs -------------------------------------------------------------------------------------------


def test_victorialogs_runs_unprivileged_with_retention_and_probes():
    sts = find("StatefulSet", "victorialogs")
    spec = sts["spec"]["template"]["spec"]
    vl = container(sts)
    assert vl["command"] == ["/victoria-logs-prod"]
    assert "-retentionPeriod=7d" in vl["args"] and "-httpListenAddr=:9428" in vl["args"]
    data = next(a.split("=", 1)[1] for a in vl["args"] if a.startswith("-storageDataPath="))
    assert {m["mountPath"]: m["name"] for m in vl["volumeMounts"]}[data] == "storage"
    # 80% of the 20Gi emptyDir: VictoriaLogs drops old days before the kubelet would evict the pod.
    assert f"-retention.maxDiskSpaceUsageBytes={int(20 * 2**30 * 0.8)}" in vl["args"]
    assert {"name": "storage", "emptyDir": {"sizeLimit": "20Gi"}} in spec["volumes"]
    assert "volumeClaimTemplates" not in sts["spec"]
    pod_context = spec["securityContext"]
    assert pod_context["runAsUser"] == 65534 and pod_context["runAsGroup"] == 65534 and pod_context["fsGroup"] == 65534
    assert pod_context["runAsNonRoot"] is True and pod_context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    context = vl["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert vl["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert vl["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert set(vl["resources"]["requests"]) == {"cpu", "memory"} and "memory" in vl["resources"]["limits"]
    assert [p["containerPort"] for p in vl["ports"]] == [9428]


def test_victorialogs_claim_retention_and_size():
    overrides = {"logging_victorialogs_storage": "pvc", "logging_victorialogs_storage_class": "local-path",
                 "logging_victorialogs_storage_size": "1.5Ti", "logging_victorialogs_retention": "2w"}
    sts = find("StatefulSet", "victorialogs", **overrides)
    claim = sts["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "storage"
    assert claim["spec"]["storageClassName"] == "local-path"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1.5Ti"
    assert claim["spec"]["volumeMode"] == "Filesystem" and claim["status"] == {"phase": "Pending"}
    assert "volumes" not in sts["spec"]["template"]["spec"]
    args = container(sts)["args"]
    assert "-retentionPeriod=2w" in args
    assert f"-retention.maxDiskSpaceUsageBytes={int(1.5 * 2**40 * 0.8)}" in args
    no_class = find("StatefulSet", "victorialogs", logging_victorialogs_storage="pvc")
    assert "storageClassName" not in no_class["spec"]["volumeClaimTemplates"][0]["spec"]


# --- preflight ------------------------------------------------------------------------------------------------


def _preflight_problems(**overrides) -> list[str]:
    """The first preflight check's problem list, evaluated with the role's variables (no play, no API)."""
    tasks = DataLoader().load_from_file(str(ROLE / "tasks" / "preflight.yml"), trusted_as_template=True)
    check = next(task for task in tasks if task["name"] == "Logging settings are consistent")
    values = variables(**overrides)
    values.update(check["vars"])
    return evaluate(values, "{{ _logging_problems }}")


@pytest.mark.parametrize(("agent", "backend"), COMBINATIONS, ids=COMBINATION_IDS)
def test_preflight_accepts_the_defaults_and_every_combination(agent, backend):
    assert _preflight_problems(agent=agent, backend=backend) == []


@pytest.mark.parametrize("retention", ["24h", "1d", "7d", "2w", "1y", "100y", "168h"])
def test_preflight_accepts_victorialogs_retentions(retention):
    assert _preflight_problems(logging_victorialogs_retention=retention) == []


@pytest.mark.parametrize("retention", ["23h", "0d", "7days", "7", "", "1m", "101y", "P7D", 7])
def test_preflight_refuses_other_victorialogs_retentions(retention):
    problems = _preflight_problems(logging_victorialogs_retention=retention)
    assert len(problems) == 1 and problems[0].startswith(f"logging_victorialogs_retention {retention} must be"), problems


@pytest.mark.parametrize(("variable", "value", "text"), [
    ("logging_agent", "vector", "logging_agent vector is not a log agent of this role: set it to otel-collector or fluent-bit."),
    ("logging_backend", "elasticsearch", "logging_backend elasticsearch is not a log store of this role: set it to victorialogs or loki."),
    ("logging_victorialogs_storage_size", "20GB", "logging_victorialogs_storage_size 20GB is not a Kubernetes quantity (e.g. 20Gi)."),
    ("logging_victorialogs_storage", "hostPath", "logging_victorialogs_storage hostPath must be emptyDir or pvc."),
    ("logging_loki_retention", "1y", "logging_loki_retention 1y must be a number of hours, days or weeks"),
    ("logging_loki_storage_size", "lots", "logging_loki_storage_size lots is not a Kubernetes quantity (e.g. 20Gi)."),
    ("logging_namespace", "Logs", "logging_namespace Logs is not a namespace name (e.g. logging)."),
])
def test_preflight_names_the_variable_and_the_fix(variable, value, text):
    problems = _preflight_problems(**{variable: value})
    assert len(problems) == 1 and problems[0].startswith(text), problems



PREFLIGHT_ONLY = role_play("logging", "preflight.yml")
WHOLE_ROLE = role_play("logging")


def _play(tmp_path: Path, playbook: str, values: dict) -> tuple[int, str]:
    return run_play(tmp_path, playbook, values)


def test_preflight_reports_every_problem_at_once_before_the_api(tmp_path):
    code, output = _play(tmp_path, PREFLIGHT_ONLY, {
        "logging_agent": "vector", "logging_backend": "elasticsearch", "logging_victorialogs_retention": "12h",
        "logging_victorialogs_storage_size": "20GB", "logging_kubeconfig": str(tmp_path / "missing"),
    })
    assert code != 0, output
    assert output.count("fatal: [") == 1, output
    assert "TASK [kubelift.cluster.logging : Logging settings are consistent]" in output, output
    assert "Kubernetes API answers" not in output, output
    for text in ("logging_agent vector is not a log agent", "logging_backend elasticsearch is not a log store",
                 "logging_victorialogs_retention 12h must be", "logging_victorialogs_storage_size 20GB is not a Kubernetes quantity"):
        assert text in output, output


def test_the_role_refuses_an_unknown_agent_by_its_argument_spec(tmp_path):
    code, output = _play(tmp_path, WHOLE_ROLE, {"logging_agent": "vector", "logging_kubeconfig": str(tmp_path / "missing")})
    assert code != 0, output
    assert "logging_agent" in output and "otel-collector, fluent-bit" in output, output
    assert "Kubernetes API answers" not in output, output


def test_good_settings_reach_for_the_api(tmp_path):
    code, output = _play(tmp_path, WHOLE_ROLE, {"logging_agent": "fluent-bit", "logging_backend": "victorialogs",
                                                "logging_victorialogs_retention": "30d",
                                                "logging_kubeconfig": str(tmp_path / "missing")})
    assert code != 0, output
    assert "TASK [kubelift.cluster.logging : Kubernetes API was reached]" in output, output
    assert "Set logging_kubeconfig to an admin kubeconfig" in output, output


@pytest.mark.parametrize("agent", ["otel-collector", "fluent-bit"])
@pytest.mark.parametrize("backend", ["victorialogs", "loki"])
def test_every_logging_container_is_confined(agent, backend):
    """RuntimeDefault seccomp (pod or container), no privilege escalation, every capability dropped."""
    variables = role_variables("logging", {"logging_agent": agent, "logging_backend": backend})
    workloads = [d for t in template_files("logging") for d in render("logging", t, variables)
                 if d and d.get("kind") in ("Deployment", "DaemonSet", "StatefulSet")]
    assert workloads
    for workload in workloads:
        spec = workload["spec"]["template"]["spec"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            context = container.get("securityContext", {})
            seccomp = context.get("seccompProfile") or (spec.get("securityContext") or {}).get("seccompProfile")
            assert seccomp == {"type": "RuntimeDefault"}, (workload["metadata"]["name"], container["name"])
            assert context.get("allowPrivilegeEscalation") is False
            assert context.get("capabilities", {}).get("drop") == ["ALL"]
