"""Render every add-on template for a matrix of variable sets and check the objects.

- Each object is validated strictly (no unknown fields) against the Kubernetes 1.33-1.37 schemas
  (kubernetes-validate), and its apiVersion/kind must also be served by Kubernetes 1.20 (the lab's API server).
- RBAC rules use no wildcard unless the template carries the marker comment that explains it.
- Role-specific behaviour (backend, exposure, storage, optional components) shows up in the objects.
"""

from __future__ import annotations

import json
from functools import lru_cache

import kubernetes_validate
import kubernetes_validate.utils
import pytest
import yaml

from _addon_render import ADDON_ROLES, ROLES_DIR, applied_templates, evaluate, render, role_variables, template_files, validate_strictly
from ansible_collections.kubelift.cluster.plugins.module_utils.addon_images import addon_image_variables, addon_images

K8S_VERSIONS = ["1.33", "1.34", "1.35", "1.36", "1.37"]

# kubernetes-validate re-reads and re-parses the schema files (the definitions file is large) on every call:
# keep each parsed file once per test session. The schemas are only read, never changed.
kubernetes_validate.utils.schema_contents = lru_cache(maxsize=None)(kubernetes_validate.utils.schema_contents)

# apiVersion/kind pairs the add-ons may use: all served by Kubernetes 1.20 and by current releases.
SERVED_BY_1_20_AND_CURRENT = {
    ("v1", "Namespace"),
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "PersistentVolumeClaim"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "Job"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("apiregistration.k8s.io/v1", "APIService"),
}

# apiVersion/kind pairs newer than 1.20, each allowed in one template only, whose role's preflight refuses it on an
# API server that does not serve it: (role, template) it may come from.
NEWER_THAN_1_20 = {
    # Only with metrics_server_replicas > 1; the preflight needs policy/v1 (Kubernetes 1.21+) for that.
    ("policy/v1", "PodDisruptionBudget"): ("metrics_server", "metrics-server-pdb.yaml.j2"),
}

# A template may grant an RBAC wildcard only with this marker in a comment next to it, saying why.
RBAC_WILDCARD_MARKER = "kubelift:rbac-wildcard"

# Values a role reads from the cluster (k8s_info) before it renders; the tests supply them.
CLUSTER_FACTS = {
    "coredns": {
        "_coredns_current_image": "registry.k8s.io/coredns/coredns:v1.12.1",
        "_coredns_dns_service_ip": "10.96.0.10",
    },
    "monitoring": {"_monitoring_grafana_password": "test-password-not-secret"},
}

CASES = {
    "flannel": {
        "defaults": {},
        "host-gw": {"flannel_backend": "host-gw"},
        "mtu-iface-mirror": {"flannel_mtu": 1400, "flannel_iface": "eth1", "flannel_registry": "mirror.example:5000"},
    },
    "coredns": {
        "defaults": {},
        "required-forwarders-stubs": {
            "coredns_anti_affinity": "required", "coredns_replicas": 3, "coredns_cache_ttl": 60,
            "coredns_upstream_forwarders": ["1.1.1.1", "9.9.9.9:53"],
            "coredns_stub_domains": {"corp.example": ["10.0.0.53", "10.0.1.53"], "lab.internal": ["192.168.1.1"]},
        },
        "nodelocaldns": {"coredns_nodelocaldns_enabled": True, "coredns_image": "mirror.example/coredns/coredns:v1.12.1",
                         "coredns_registry": "mirror.example"},
    },
    "metrics_server": {
        "defaults": {},
        "ha-verified-tls-extra-args": {
            "metrics_server_replicas": 2, "metrics_server_kubelet_insecure_tls": False,
            "metrics_server_metric_resolution": "1m30s",
            "metrics_server_kubelet_preferred_address_types": ["InternalIP", "Hostname"],
            "metrics_server_extra_args": {"v": 2, "profiling": False, "tls-cipher-suites": ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"]},
            "metrics_server_resources": {"requests": {"cpu": "200m", "memory": "300Mi"}, "limits": {"cpu": 1, "memory": "1Gi"}},
            "metrics_server_node_selector": {"kubernetes.io/os": "linux", "node-role.kubelift.io/infra": True},
            "metrics_server_tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}],
        },
        "namespace-mirror": {"metrics_server_namespace": "metrics", "metrics_server_registry": "mirror.example:5000/k8s",
                             "metrics_server_node_selector": {}},
    },
    "ingress_nginx": {
        "defaults": {},
        "daemonset-hostnetwork": {"ingress_nginx_kind": "DaemonSet", "ingress_nginx_exposure": "hostNetwork",
                                  "ingress_nginx_node_selector": {"node-role.kubelift.io/ingress": "true"}},
        "loadbalancer-watch-namespace": {
            "ingress_nginx_exposure": "LoadBalancer", "ingress_nginx_load_balancer_ip": "192.0.2.10",
            "ingress_nginx_watch_namespaces": ["apps"], "ingress_nginx_class_name": "public",
            "ingress_nginx_default_class": False, "ingress_nginx_config": {"use-forwarded-headers": True, "proxy-body-size": "16m"},
            "ingress_nginx_registry": "mirror.example:5000",
        },
        "nodeport-auto": {"ingress_nginx_http_node_port": 0, "ingress_nginx_https_node_port": 0},
    },
    "traefik": {
        "defaults": {"kubelift_ingress_controller": "traefik"},
        "loadbalancer-watch-namespaces": {
            "kubelift_ingress_controller": "traefik", "traefik_exposure": "LoadBalancer",
            "traefik_load_balancer_ip": "192.0.2.20", "traefik_watch_namespaces": ["apps", "shop"],
            "traefik_default_class": False, "traefik_registry": "mirror.example:5000",
        },
    },
    "logging": {
        "defaults": {},
        "fluent-bit-loki": {"logging_agent": "fluent-bit", "logging_backend": "loki"},
        "pvc-30d": {"logging_agent": "fluent-bit", "logging_backend": "loki", "logging_loki_storage": "pvc",
                    "logging_loki_storage_class": "local-path", "logging_loki_storage_size": "100Gi", "logging_loki_retention": "720h"},
    },
    "monitoring": {
        "defaults": {},
        "etcd-metrics": {"monitoring_etcd_metrics": True},
        "pvc": {"monitoring_prometheus_storage": "pvc", "monitoring_prometheus_storage_class": "local-path",
                "monitoring_prometheus_storage_size": "50Gi"},
        "alertmanager-and-grafana-off": {"monitoring_alertmanager_enabled": False, "monitoring_grafana_enabled": False},
        "lab-images-ingress-no-loki": {
            "monitoring_registry": "172.17.0.1:5000/kubelift",
            "monitoring_prometheus_command": ["/usr/bin/prometheus"],
            "monitoring_node_exporter_command": ["/usr/bin/prometheus-node-exporter"],
            "monitoring_alertmanager_command": ["/usr/bin/prometheus-alertmanager"],
            "monitoring_prometheus_discovery": "dns",
            "monitoring_grafana_ingress_host": "grafana.example.test",
            "monitoring_grafana_ingress_class": "nginx",
            "monitoring_grafana_logs_backend": "none",
            "monitoring_alertmanager_config": {
                "route": {"receiver": "ops"},
                "receivers": [{"name": "ops", "webhook_configs": [{"url": "http://hooks.example.test/alert"}]}],
            },
            "monitoring_kube_state_metrics_resources": ["pods", "nodes", "deployments"],
        },
        "lab-static-discovery-dry-run": {
            "monitoring_prometheus_image": "docker.io/kubelift/prometheus:lab",
            "monitoring_node_exporter_image": "docker.io/kubelift/node-exporter:lab",
            "monitoring_prometheus_command": ["/usr/bin/prometheus"],
            "monitoring_node_exporter_command": ["/usr/bin/prometheus-node-exporter"],
            "monitoring_prometheus_discovery": "static",
            "monitoring_prometheus_static_nodes": ["172.18.0.2", "172.18.0.3", "fd00::4"],
            "monitoring_prometheus_static_apiservers": ["172.18.0.2:6443"],
            "monitoring_dry_run_components": ["kube-state-metrics", "alertmanager", "grafana"],
        },
    },
}

CASE_IDS = [
    (role, case) for role in ADDON_ROLES if (ROLES_DIR / role).is_dir() for case in CASES.get(role, {"defaults": {}})
]


def case_variables(role: str, case: str) -> dict:
    overrides = dict(CLUSTER_FACTS.get(role, {}))
    overrides.update(CASES.get(role, {}).get(case, {}))
    return role_variables(role, overrides)


@lru_cache(maxsize=None)
def _rendered(role: str, case: str) -> str:
    variables = case_variables(role, case)
    objects = []
    for template in applied_templates(role, variables):
        for obj in render(role, template, variables):
            objects.append({"template": template, "object": obj})
    return json.dumps(objects)


def rendered(role: str, case: str) -> list[dict]:
    """[{template, object}] for every object of every template of the role."""
    return json.loads(_rendered(role, case))


def objects(role: str, case: str, kind: str | None = None) -> list[dict]:
    return [item["object"] for item in rendered(role, case) if kind is None or item["object"]["kind"] == kind]


def find(role: str, case: str, kind: str, name: str) -> dict:
    matches = [o for o in objects(role, case, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{role}/{case}: expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def containers(obj: dict) -> dict:
    spec = pod_spec(obj)
    return {c["name"]: c for c in spec.get("initContainers", []) + spec["containers"]}


def _ident(item: dict) -> str:
    obj = item["object"]
    return f"{item['template']}: {obj['kind']}/{obj['metadata'].get('namespace', '-')}/{obj['metadata']['name']}"


# --- every template, every case -------------------------------------------------------------------------


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_objects_validate_strictly(role, case, version):
    items = rendered(role, case)
    assert items, f"{role}/{case}: no objects rendered"
    for item in items:
        validate_strictly(item["object"], version, f"{role}/{case} {_ident(item)}")


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_strict_validation_rejects_what_it_must(version):
    """The validator in use does reject an unknown field and a wrong type (so the checks above can fail)."""
    deployment = objects("flannel", "defaults", "DaemonSet")[0]
    unknown = json.loads(json.dumps(deployment))
    unknown["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    wrong_type = json.loads(json.dumps(deployment))
    wrong_type["spec"]["template"]["spec"]["hostNetwork"] = "yes"
    for broken in (unknown, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, version, strict=True)


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_api_versions_served_by_1_20(role, case):
    for item in rendered(role, case):
        obj = item["object"]
        if NEWER_THAN_1_20.get((obj["apiVersion"], obj["kind"])) == (role, item["template"]):
            continue
        assert (obj["apiVersion"], obj["kind"]) in SERVED_BY_1_20_AND_CURRENT, (
            f"{_ident(item)} uses {obj['apiVersion']} {obj['kind']}, not served by both Kubernetes 1.20 and current releases"
        )


def unexplained_wildcards(obj: dict, template_source: str) -> list[dict]:
    """Rules of a Role/ClusterRole that grant a wildcard while the template that made them has no marker."""
    if obj["kind"] not in ("Role", "ClusterRole") or RBAC_WILDCARD_MARKER in template_source:
        return []
    return [
        rule
        for rule in obj.get("rules", [])
        if any("*" in value for key in ("verbs", "resources", "apiGroups", "nonResourceURLs") for value in rule.get(key, []))
    ]


def test_wildcard_check_itself():
    role = {"kind": "ClusterRole", "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
                                             {"apiGroups": ["apps"], "resources": ["*"], "verbs": ["list"]},
                                             {"nonResourceURLs": ["/metrics*"], "verbs": ["get"]}]}
    assert len(unexplained_wildcards(role, "rules: ...")) == 2
    assert unexplained_wildcards(role, "# kubelift:rbac-wildcard: the operator manages any resource it is given") == []
    assert unexplained_wildcards({"kind": "ConfigMap", "data": {"*": "x"}}, "") == []


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_no_unexplained_rbac_wildcards(role, case):
    for item in rendered(role, case):
        source = (ROLES_DIR / role / "templates" / item["template"]).read_text()
        bad = unexplained_wildcards(item["object"], source)
        assert not bad, f"{_ident(item)} grants wildcards {bad} without a '{RBAC_WILDCARD_MARKER}: <why>' comment"


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_objects_are_labelled_and_namespaced(role, case):
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "IngressClass", "ValidatingWebhookConfiguration", "APIService"}
    for item in rendered(role, case):
        obj = item["object"]
        assert obj["metadata"].get("labels", {}).get("app.kubernetes.io/part-of") == "kubelift", (
            f"{_ident(item)} lacks the app.kubernetes.io/part-of: kubelift label"
        )
        if obj["kind"] in cluster_scoped:
            assert "namespace" not in obj["metadata"], f"{_ident(item)} is cluster-scoped but names a namespace"
        else:
            assert obj["metadata"].get("namespace"), f"{_ident(item)} has no namespace"


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_workloads_select_their_own_pods(role, case):
    for item in rendered(role, case):
        obj = item["object"]
        if obj["kind"] not in ("Deployment", "DaemonSet", "StatefulSet"):
            continue
        selector = obj["spec"]["selector"]["matchLabels"]
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), f"{_ident(item)}: selector {selector} does not match pod labels"
        for container in containers(obj).values():
            assert container["image"].count(":") >= 1 and "{{" not in container["image"], (
                f"{_ident(item)}: container {container['name']} has an unpinned or untemplated image {container['image']}"
            )


def test_every_addon_role_has_cases():
    for role in ADDON_ROLES:
        assert (ROLES_DIR / role).is_dir(), f"add-on role {role} is missing"
        assert role in CASES, f"no test cases for {role}"


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_rendered_images_are_the_ones_addon_images_lists(role, case):
    """What a bundle packs (addon_images) is exactly what the role's manifests run."""
    variables = case_variables(role, case)
    values = {}
    for name in addon_image_variables():
        if name in variables:
            values[name] = evaluate(variables, "{{ %s }}" % name)
        elif name.endswith("_enabled"):
            values[name] = False  # another add-on role: not part of this case
    expected = set(addon_images(values))
    if role == "coredns" and not values["coredns_image"]:
        expected.add(variables["_coredns_current_image"])  # kubeadm's image, kept
    actual = {
        c["image"]
        for o in objects(role, case)
        if o["kind"] in ("Deployment", "DaemonSet", "StatefulSet", "Job")
        for c in containers(o).values()
    }
    assert actual == expected


@pytest.mark.parametrize("role", [r for r in ADDON_ROLES if (ROLES_DIR / r).is_dir()])
def test_every_template_is_applied_in_some_case(role):
    applied = set()
    for case in CASES.get(role, {"defaults": {}}):
        applied.update(applied_templates(role, case_variables(role, case)))
    files = {path.name for path in template_files(role)}
    assert applied, f"{role}: _{role}_templates is empty or missing"
    assert files == applied, f"{role}: templates never applied by any test case: {sorted(files - applied)}; unknown: {sorted(applied - files)}"


# --- flannel ----------------------------------------------------------------------------------------------


def _flannel_conf(case: str) -> tuple[dict, dict]:
    data = find("flannel", case, "ConfigMap", "kube-flannel-cfg")["data"]
    return json.loads(data["net-conf.json"]), json.loads(data["cni-conf.json"])


def test_flannel_defaults():
    net, cni = _flannel_conf("defaults")
    assert net["Network"] == role_variables("flannel")["kubelift_pod_subnet"] == "10.244.0.0/16"
    assert net["Backend"] == {"Type": "vxlan"}
    assert "mtu" not in cni["plugins"][0]["delegate"]
    assert cni["plugins"][0]["type"] == "flannel"
    ds = find("flannel", "defaults", "DaemonSet", "kube-flannel-ds")
    spec = pod_spec(ds)
    assert spec["hostNetwork"] is True
    assert {"operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    images = {name: c["image"] for name, c in containers(ds).items()}
    assert images == {
        "install-cni-plugin": "ghcr.io/flannel-io/flannel-cni-plugin:v1.8.0-flannel1",
        "install-cni": "ghcr.io/flannel-io/flannel:v0.27.4",
        "kube-flannel": "ghcr.io/flannel-io/flannel:v0.27.4",
    }
    ns = find("flannel", "defaults", "Namespace", "kube-flannel")
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_flannel_rbac_is_least_privilege():
    role = find("flannel", "defaults", "ClusterRole", "kubelift:flannel")
    granted = {(r, v) for rule in role["rules"] for r in rule["resources"] for v in rule["verbs"]}
    assert granted == {
        ("nodes", "get"),
        ("nodes", "list"),
        ("nodes", "watch"),
        ("nodes/status", "patch"),
        ("pods", "get"),
    }


def test_flannel_host_gw_mtu_iface_and_mirror():
    net, _ = _flannel_conf("host-gw")
    assert net["Backend"] == {"Type": "host-gw"}
    _, cni = _flannel_conf("mtu-iface-mirror")
    assert cni["plugins"][0]["delegate"]["mtu"] == 1400
    ds = find("flannel", "mtu-iface-mirror", "DaemonSet", "kube-flannel-ds")
    flanneld = containers(ds)["kube-flannel"]
    assert "--iface=eth1" in flanneld["args"]
    assert all(c["image"].startswith("mirror.example:5000/") for c in containers(ds).values())


def test_flannel_config_change_rolls_the_pods():
    hashes = {
        case: find("flannel", case, "DaemonSet", "kube-flannel-ds")["spec"]["template"]["metadata"]["annotations"][
            "kubelift.io/config-hash"
        ]
        for case in ("defaults", "host-gw", "mtu-iface-mirror")
    }
    assert len(set(hashes.values())) == 3, hashes


# --- monitoring -------------------------------------------------------------------------------------------


def _prometheus_config(case: str) -> dict:
    return yaml.safe_load(find("monitoring", case, "ConfigMap", "prometheus-config")["data"]["prometheus.yml"])


def test_monitoring_scrape_jobs_kubernetes_discovery():
    config = _prometheus_config("defaults")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    # etcd's own metrics are opt-in (monitoring_etcd_metrics: kubeadm's etcd serves them on 127.0.0.1 only).
    assert set(jobs) == {
        "prometheus", "apiserver", "kubelet", "cadvisor", "node-exporter", "coredns", "kube-state-metrics",
        "alertmanager", "grafana", "annotated-services", "annotated-pods",
    }
    etcd = _prometheus_config("etcd-metrics")["scrape_configs"]
    assert "etcd" in {job["job_name"] for job in etcd}
    assert jobs["cadvisor"]["metrics_path"] == "/metrics/cadvisor"
    assert jobs["kubelet"]["tls_config"] == {"insecure_skip_verify": True}
    keep = [r for r in jobs["annotated-pods"]["relabel_configs"] if r.get("action") == "keep"]
    assert keep == [{"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "regex": "true", "action": "keep"}]
    svc_keep = [r for r in jobs["annotated-services"]["relabel_configs"] if r.get("action") == "keep"]
    assert svc_keep[0]["source_labels"] == ["__meta_kubernetes_service_annotation_prometheus_io_scrape"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "alertmanager.monitoring.svc.cluster.local:9093"
    ]
    assert config["rule_files"] == ["/etc/prometheus-rules/*.yml"]


def test_monitoring_dns_discovery_for_debian_builds():
    config = _prometheus_config("lab-images-ingress-no-loki")
    text = json.dumps(config)
    assert "kubernetes_sd_configs" not in text
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["node-exporter"]["dns_sd_configs"][0]["names"] == ["node-exporter.monitoring.svc.cluster.local"]
    assert jobs["kubelet"]["dns_sd_configs"][0]["port"] == 10250
    # Without Kubernetes discovery, Prometheus needs no list/watch at all.
    role = find("monitoring", "lab-images-ingress-no-loki", "ClusterRole", "kubelift:prometheus")
    verbs = {v for rule in role["rules"] for v in rule["verbs"]}
    assert verbs == {"get"}
    headless = find("monitoring", "defaults", "Service", "node-exporter")
    assert headless["spec"]["clusterIP"] == "None"


def test_monitoring_static_discovery_and_dry_run_components():
    """The lab's setting: node targets listed, API server by address, dry-run components neither scraped nor
    alerted to (they do not run)."""
    config = _prometheus_config("lab-static-discovery-dry-run")
    text = json.dumps(config)
    assert "kubernetes_sd_configs" not in text and "dns_sd_configs" not in text
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"prometheus", "apiserver", "kubelet", "cadvisor", "node-exporter"}
    assert jobs["node-exporter"]["static_configs"] == [
        {"targets": ["172.18.0.2:9100", "172.18.0.3:9100", "[fd00::4]:9100"]}
    ]
    assert jobs["cadvisor"]["static_configs"][0]["targets"][2] == "[fd00::4]:10250"
    assert jobs["apiserver"]["static_configs"] == [{"targets": ["172.18.0.2:6443"]}]
    assert "alerting" not in config
    # With DNS discovery and every component running, they are all scraped.
    dns_jobs = {job["job_name"] for job in _prometheus_config("lab-images-ingress-no-loki")["scrape_configs"]}
    assert {"kube-state-metrics", "alertmanager", "grafana"} <= dns_jobs


def test_monitoring_rules_cover_the_required_alerts():
    rules = yaml.safe_load(find("monitoring", "defaults", "ConfigMap", "prometheus-rules")["data"]["kubelift.yml"])
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert {"NodeDown", "PodCrashLooping", "NodeFilesystemFillingUp", "APIServerClientCertificateExpiring",
            "KubeletClientCertificateExpiring"} <= set(alerts)
    assert "predict_linear" in alerts["NodeFilesystemFillingUp"]["expr"]
    assert "apiserver_client_certificate_expiration_seconds" in alerts["APIServerClientCertificateExpiring"]["expr"]
    assert "{{ $labels.instance }}" in alerts["NodeDown"]["annotations"]["summary"]
    assert str(7 * 86400) in alerts["KubeletClientCertificateExpiring"]["expr"]


def test_monitoring_storage_pvc_or_emptydir():
    for case, claim in (("defaults", None), ("pvc", "prometheus-data")):
        deployment = find("monitoring", case, "Deployment", "prometheus")
        data = [v for v in pod_spec(deployment)["volumes"] if v["name"] == "data"][0]
        if claim:
            assert data["persistentVolumeClaim"] == {"claimName": claim}
            pvc = find("monitoring", case, "PersistentVolumeClaim", claim)
            assert pvc["spec"]["storageClassName"] == "local-path"
            assert pvc["spec"]["resources"]["requests"]["storage"] == "50Gi"
        else:
            assert data == {"name": "data", "emptyDir": {"sizeLimit": "20Gi"}}
            assert not objects("monitoring", case, "PersistentVolumeClaim")
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def test_monitoring_optional_components():
    names = {(o["kind"], o["metadata"]["name"]) for o in objects("monitoring", "alertmanager-and-grafana-off")}
    assert not {n for k, n in names if n.startswith(("alertmanager", "grafana"))}
    assert "alerting" not in _prometheus_config("alertmanager-and-grafana-off")
    assert ("Deployment", "alertmanager") in {(o["kind"], o["metadata"]["name"]) for o in objects("monitoring", "defaults")}


def test_monitoring_commands_follow_the_image_kind():
    upstream = {c["name"]: c for o in objects("monitoring", "defaults") if o["kind"] in ("Deployment", "DaemonSet") for c in containers(o).values()}
    lab = {c["name"]: c for o in objects("monitoring", "lab-images-ingress-no-loki") if o["kind"] in ("Deployment", "DaemonSet") for c in containers(o).values()}
    assert upstream["prometheus"]["command"] == ["/bin/prometheus"]
    assert lab["prometheus"]["command"] == ["/usr/bin/prometheus"]
    assert lab["node-exporter"]["command"] == ["/usr/bin/prometheus-node-exporter"]
    assert lab["alertmanager"]["command"] == ["/usr/bin/prometheus-alertmanager"]
    assert upstream["prometheus"]["image"] == "docker.io/prom/prometheus:v3.16.0"
    assert upstream["kube-state-metrics"]["image"] == "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0"
    assert all(c["image"].startswith("172.17.0.1:5000/kubelift/") for c in lab.values())


def test_monitoring_node_exporter_reads_the_host_read_only():
    ds = find("monitoring", "defaults", "DaemonSet", "node-exporter")
    spec = pod_spec(ds)
    assert spec["hostNetwork"] is True and spec["hostPID"] is True
    mounts = containers(ds)["node-exporter"]["volumeMounts"]
    assert mounts and all(m["readOnly"] is True for m in mounts)
    assert {v["hostPath"]["path"] for v in spec["volumes"]} == {"/", "/proc", "/sys"}


def test_monitoring_kube_state_metrics_rbac_matches_its_resources():
    for case in ("defaults", "lab-images-ingress-no-loki"):
        variables = case_variables("monitoring", case)
        resources = sorted(variables["monitoring_kube_state_metrics_resources"])
        role = find("monitoring", case, "ClusterRole", "kubelift:kube-state-metrics")
        granted = sorted(r for rule in role["rules"] for r in rule["resources"])
        assert granted == resources
        assert all(rule["verbs"] == ["list", "watch"] for rule in role["rules"])
        assert "secrets" not in granted
        args = containers(find("monitoring", case, "Deployment", "kube-state-metrics"))["kube-state-metrics"]["args"]
        assert f"--resources={','.join(resources)}" in args


def test_monitoring_grafana_provisioning_and_secret():
    datasources = yaml.safe_load(find("monitoring", "defaults", "ConfigMap", "grafana-datasources")["data"]["kubelift.yaml"])
    by_uid = {d["uid"]: d for d in datasources["datasources"]}
    assert by_uid["prometheus"]["url"] == "http://prometheus.monitoring.svc.cluster.local:9090"
    assert by_uid["logs"]["url"] == "http://victorialogs.logging.svc.cluster.local:9428"
    no_loki = yaml.safe_load(find("monitoring", "lab-images-ingress-no-loki", "ConfigMap", "grafana-datasources")["data"]["kubelift.yaml"])
    assert [d["uid"] for d in no_loki["datasources"]] == ["prometheus"]
    dashboards = find("monitoring", "defaults", "ConfigMap", "grafana-dashboards")["data"]
    assert set(dashboards) == {"kubelift-cluster.json", "kubelift-nodes.json", "kubelift-workloads.json", "kubelift-apiserver-etcd.json",
                               "kubelift-coredns.json", "kubelift-ingress.json", "kubelift-apps.json"}
    for name, text in dashboards.items():
        dashboard = json.loads(text)
        assert dashboard["uid"] == name.removesuffix(".json")
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in by_uid, f"{name}: panel {panel['title']} uses an unknown data source"
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])
    secret = find("monitoring", "defaults", "Secret", "grafana-admin")
    import base64

    assert base64.b64decode(secret["data"]["admin-password"]).decode() == CLUSTER_FACTS["monitoring"]["_monitoring_grafana_password"]
    env = {e["name"]: e for e in containers(find("monitoring", "defaults", "Deployment", "grafana"))["grafana"]["env"]}
    assert env["GF_SECURITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "grafana-admin", "key": "admin-password"}
    ingress = find("monitoring", "lab-images-ingress-no-loki", "Ingress", "grafana")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["rules"][0]["host"] == "grafana.example.test"
    assert not objects("monitoring", "defaults", "Ingress")


def test_monitoring_alertmanager_config_is_a_secret():
    import base64

    for case, receiver in (("defaults", "null"), ("lab-images-ingress-no-loki", "ops")):
        secret = find("monitoring", case, "Secret", "alertmanager-config")
        config = yaml.safe_load(base64.b64decode(secret["data"]["alertmanager.yml"]))
        assert config["route"]["receiver"] == receiver
        assert receiver in [r["name"] for r in config["receivers"]]
    assert not [o for o in objects("monitoring", "defaults", "ConfigMap") if "alertmanager" in o["metadata"]["name"]]


def _names(role: str, case: str, templates: set[str]) -> set[tuple[str, str]]:
    return {
        (item["object"]["kind"], item["object"]["metadata"]["name"])
        for item in rendered(role, case)
        if item["template"] in templates
    }


@pytest.mark.parametrize(
    ("role", "case", "templates", "removal_list", "extra"),
    [
        ("monitoring", "lab-images-ingress-no-loki", {"alertmanager.yaml.j2", "alertmanager-config.yaml.j2"},
         "_monitoring_alertmanager_objects", set()),
        ("monitoring", "lab-images-ingress-no-loki", {"grafana.yaml.j2", "grafana-admin.yaml.j2"},
         "_monitoring_grafana_objects", set()),
        ("coredns", "nodelocaldns", {"nodelocaldns.yaml.j2"}, "_coredns_nodelocaldns_objects", set()),
        ("metrics_server", "ha-verified-tls-extra-args", {"metrics-server-pdb.yaml.j2"}, "_metrics_server_pdb_objects", set()),
    ],
)
def test_switched_off_components_are_removed_completely(role, case, templates, removal_list, extra):
    """The objects a role deletes when a component is switched off are exactly the ones it creates for it."""
    variables = case_variables(role, case)
    removed = {(o["kind"], o["name"]) for o in variables[removal_list]}
    assert removed == _names(role, case, templates) | extra


# --- coredns ----------------------------------------------------------------------------------------------


def _corefile(case: str) -> str:
    return find("coredns", case, "ConfigMap", "coredns")["data"]["Corefile"]


def test_coredns_defaults_keep_kubeadm_image_and_resolv_conf():
    corefile = _corefile("defaults")
    assert "forward . /etc/resolv.conf {" in corefile
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in corefile
    assert "cache 30" in corefile and "reload" in corefile
    assert corefile.count("{") == corefile.count("}")
    deployment = find("coredns", "defaults", "Deployment", "coredns")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert containers(deployment)["coredns"]["image"] == CLUSTER_FACTS["coredns"]["_coredns_current_image"]
    anti = pod_spec(deployment)["affinity"]["podAntiAffinity"]
    assert list(anti) == ["preferredDuringSchedulingIgnoredDuringExecution"]
    assert anti["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    assert not objects("coredns", "defaults", "DaemonSet")


def test_coredns_forwarders_stub_domains_required_spread():
    corefile = _corefile("required-forwarders-stubs")
    assert "forward . 1.1.1.1 9.9.9.9:53 {" in corefile
    assert "corp.example:53 {\n    errors\n    cache 60\n    forward . 10.0.0.53 10.0.1.53\n}" in corefile
    assert "lab.internal:53 {" in corefile
    assert corefile.count("{") == corefile.count("}")
    deployment = find("coredns", "required-forwarders-stubs", "Deployment", "coredns")
    assert deployment["spec"]["replicas"] == 3
    anti = pod_spec(deployment)["affinity"]["podAntiAffinity"]
    assert list(anti) == ["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]["matchExpressions"][0]["values"] == ["kube-dns"]


def test_coredns_nodelocaldns():
    ds = find("coredns", "nodelocaldns", "DaemonSet", "node-local-dns")
    cache = containers(ds)["node-cache"]
    assert cache["image"] == "mirror.example/dns/k8s-dns-node-cache:1.26.4"
    assert cache["args"][:2] == ["-localip", "169.254.20.10,10.96.0.10"]
    assert cache["args"][-2:] == ["-upstreamsvc", "kube-dns-upstream"]
    assert pod_spec(ds)["hostNetwork"] is True
    corefile = find("coredns", "nodelocaldns", "ConfigMap", "node-local-dns")["data"]["Corefile"]
    assert corefile.count("bind 169.254.20.10 10.96.0.10") == 4
    assert corefile.count("forward . __PILLAR__CLUSTER__DNS__") == 4
    assert "health 169.254.20.10:8080" in corefile
    upstream = find("coredns", "nodelocaldns", "Service", "kube-dns-upstream")
    assert upstream["spec"]["selector"] == {"k8s-app": "kube-dns"}
    assert containers(find("coredns", "nodelocaldns", "Deployment", "coredns"))["coredns"]["image"] == "mirror.example/coredns/coredns:v1.12.1"


# --- metrics-server ---------------------------------------------------------------------------------------

METRICS_SERVER_CASES = list(CASES["metrics_server"])


def _metrics_server(case: str) -> tuple[dict, dict]:
    deployment = find("metrics_server", case, "Deployment", "metrics-server")
    return deployment, containers(deployment)["metrics-server"]


def test_metrics_server_defaults():
    deployment, container = _metrics_server("defaults")
    assert deployment["spec"]["replicas"] == 1
    # One replica: the new pod must be ready before the old one goes (metrics.k8s.io stays served).
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert container["image"] == "registry.k8s.io/metrics-server/metrics-server:v0.8.0"
    assert container["args"] == [
        "--cert-dir=/tmp",
        "--secure-port=10250",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--kubelet-use-node-status-port",
        "--metric-resolution=15s",
        "--kubelet-insecure-tls",
    ]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}}
    spec = pod_spec(deployment)
    assert spec["priorityClassName"] == "system-cluster-critical"
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert "affinity" not in spec and "tolerations" not in spec
    assert not objects("metrics_server", "defaults", "PodDisruptionBudget")


@pytest.mark.parametrize("case", METRICS_SERVER_CASES)
def test_metrics_server_is_secure(case):
    """Kubelet TLS verified when asked for, and a pod that meets the restricted Pod Security profile."""
    deployment, container = _metrics_server(case)
    insecure = case_variables("metrics_server", case)["metrics_server_kubelet_insecure_tls"]
    assert ("--kubelet-insecure-tls" in container["args"]) is insecure
    spec = pod_spec(deployment)
    assert not spec.get("hostNetwork") and not spec.get("hostPID")
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    # The only writable place is the emptyDir behind --cert-dir.
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert [v for v in spec["volumes"] if v["name"] == "tmp"][0]["emptyDir"]["sizeLimit"]
    assert "--cert-dir=/tmp" in container["args"] and "--secure-port=10250" in container["args"]
    assert container["ports"] == [{"name": "https", "containerPort": 10250, "protocol": "TCP"}]
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez")):
        assert container[probe]["httpGet"] == {"path": path, "port": "https", "scheme": "HTTPS"}


@pytest.mark.parametrize("case", METRICS_SERVER_CASES)
def test_metrics_server_rbac_service_and_apiservice(case):
    namespace = case_variables("metrics_server", case)["metrics_server_namespace"]
    reader = find("metrics_server", case, "ClusterRole", "system:aggregated-metrics-reader")
    for level in ("view", "edit", "admin"):
        assert reader["metadata"]["labels"][f"rbac.authorization.k8s.io/aggregate-to-{level}"] == "true"
    assert _rules(reader) == {("metrics.k8s.io", r, v) for r in ("pods", "nodes") for v in ("get", "list", "watch")}
    server_role = find("metrics_server", case, "ClusterRole", "system:metrics-server")
    assert _rules(server_role) == {("", "nodes/metrics", "get")} | {
        ("", r, v) for r in ("pods", "nodes") for v in ("get", "list", "watch")
    }
    bindings = {
        ("ClusterRoleBinding", "system:metrics-server"): ("ClusterRole", "system:metrics-server"),
        ("ClusterRoleBinding", "metrics-server:system:auth-delegator"): ("ClusterRole", "system:auth-delegator"),
        ("RoleBinding", "metrics-server-auth-reader"): ("Role", "extension-apiserver-authentication-reader"),
    }
    for (kind, name), (ref_kind, ref_name) in bindings.items():
        binding = find("metrics_server", case, kind, name)
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": ref_name}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "metrics-server", "namespace": namespace}]
    # The client CA the API server publishes lives in kube-system, whatever metrics_server_namespace is.
    assert find("metrics_server", case, "RoleBinding", "metrics-server-auth-reader")["metadata"]["namespace"] == "kube-system"
    for kind in ("ServiceAccount", "Service", "Deployment"):
        assert find("metrics_server", case, kind, "metrics-server")["metadata"]["namespace"] == namespace
    service = find("metrics_server", case, "Service", "metrics-server")
    assert service["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "https", "protocol": "TCP"}]
    deployment, _ = _metrics_server(case)
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    apiservice = find("metrics_server", case, "APIService", "v1beta1.metrics.k8s.io")
    assert apiservice["spec"] == {
        "group": "metrics.k8s.io", "version": "v1beta1",
        "service": {"name": "metrics-server", "namespace": namespace, "port": 443},
        "insecureSkipTLSVerify": True, "groupPriorityMinimum": 100, "versionPriority": 100,
    }


def test_metrics_server_high_availability_and_settings():
    case = "ha-verified-tls-extra-args"
    deployment, container = _metrics_server(case)
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 1
    anti = pod_spec(deployment)["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert anti["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    pdb = find("metrics_server", case, "PodDisruptionBudget", "metrics-server")
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    args = container["args"]
    assert {"--metric-resolution=1m30s", "--kubelet-preferred-address-types=InternalIP,Hostname"} <= set(args)
    assert "--kubelet-insecure-tls" not in args
    # Extra flags after the role's own, sorted; booleans as Go spells them, lists joined with commas.
    assert args[-3:] == ["--profiling=false", "--tls-cipher-suites=TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384", "--v=2"]
    spec = pod_spec(deployment)
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", "node-role.kubelift.io/infra": "true"}
    assert spec["tolerations"] == [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]
    assert container["resources"] == {"requests": {"cpu": "200m", "memory": "300Mi"}, "limits": {"cpu": 1, "memory": "1Gi"}}


def test_metrics_server_namespace_and_mirror():
    deployment, container = _metrics_server("namespace-mirror")
    assert container["image"] == "mirror.example:5000/k8s/metrics-server/metrics-server:v0.8.0"
    assert "nodeSelector" not in pod_spec(deployment)


def test_metrics_server_managed_flags_are_the_ones_it_sets():
    """metrics_server_extra_args may not name a flag the role sets: the list the preflight checks is complete."""
    variables = case_variables("metrics_server", "ha-verified-tls-extra-args")
    extra = set(variables["metrics_server_extra_args"])
    own = set()
    for case in ("defaults", "ha-verified-tls-extra-args"):
        _, container = _metrics_server(case)
        own |= {arg[2:].split("=", 1)[0] for arg in container["args"]} - extra
    assert own == set(variables["_metrics_server_managed_args"])


@pytest.mark.parametrize(("resolution", "seconds"), [("15s", 15), ("1m30s", 90), ("1h", 3600), ("10s500ms", 10.5)])
def test_metrics_server_resolution_in_seconds(resolution, seconds):
    variables = role_variables("metrics_server", {"metrics_server_metric_resolution": resolution})
    assert float(evaluate(variables, "{{ _metrics_server_resolution_seconds }}")) == seconds


# --- ingress-nginx ----------------------------------------------------------------------------------------


def _rules(obj: dict) -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in obj["rules"]
        for group in rule.get("apiGroups", [""])
        for resource in rule.get("resources", [])
        for verb in rule["verbs"]
    }


def test_ingress_nginx_defaults():
    controller = find("ingress_nginx", "defaults", "Deployment", "ingress-nginx-controller")
    assert controller["spec"]["replicas"] == 2
    args = containers(controller)["controller"]["args"]
    assert "--ingress-class=nginx" in args and "--watch-ingress-without-class=true" in args
    assert not [a for a in args if a.startswith(("--watch-namespace", "--publish-service"))]
    assert "hostNetwork" not in pod_spec(controller)
    service = find("ingress_nginx", "defaults", "Service", "ingress-nginx-controller")
    assert service["spec"]["type"] == "NodePort"
    assert {p["name"]: p["nodePort"] for p in service["spec"]["ports"]} == {"http": 30080, "https": 30443}
    ingress_class = find("ingress_nginx", "defaults", "IngressClass", "nginx")
    assert ingress_class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    assert ingress_class["spec"]["controller"] == "k8s.io/ingress-nginx"
    metrics = find("ingress_nginx", "defaults", "Service", "ingress-nginx-controller-metrics")
    assert metrics["spec"]["ports"][0]["port"] == 10254
    assert metrics["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    namespace = find("ingress_nginx", "defaults", "Namespace", "ingress-nginx")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # Cluster-wide serving needs cluster-wide Secret reads (TLS certificates of every namespace).
    assert ("", "secrets", "list") in _rules(find("ingress_nginx", "defaults", "ClusterRole", "kubelift:ingress-nginx"))
    assert not objects("ingress_nginx", "defaults", "DaemonSet")


def test_ingress_nginx_daemonset_host_network():
    controller = find("ingress_nginx", "daemonset-hostnetwork", "DaemonSet", "ingress-nginx-controller")
    spec = pod_spec(controller)
    assert spec["hostNetwork"] is True and spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert spec["nodeSelector"] == {"node-role.kubelift.io/ingress": "true"}
    assert "replicas" not in controller["spec"]
    assert "--report-node-internal-ip-address=true" in containers(controller)["controller"]["args"]
    assert find("ingress_nginx", "daemonset-hostnetwork", "Service", "ingress-nginx-controller")["spec"]["type"] == "ClusterIP"
    namespace = find("ingress_nginx", "daemonset-hostnetwork", "Namespace", "ingress-nginx")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert not objects("ingress_nginx", "daemonset-hostnetwork", "Deployment")


def test_ingress_nginx_watched_namespace_has_no_cluster_wide_secret_reads():
    case = "loadbalancer-watch-namespace"
    for item in rendered("ingress_nginx", case):
        obj = item["object"]
        if obj["kind"] == "ClusterRole":
            assert not {r for r in _rules(obj) if r[1] in ("secrets", "configmaps", "services", "endpoints", "pods")}, (
                f"{obj['metadata']['name']} grants namespaced reads cluster-wide"
            )
    role = [o for o in objects("ingress_nginx", case, "Role") if o["metadata"]["namespace"] == "apps"]
    assert len(role) == 1 and ("", "secrets", "watch") in _rules(role[0])
    binding = [o for o in objects("ingress_nginx", case, "RoleBinding") if o["metadata"]["namespace"] == "apps"][0]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "ingress-nginx", "namespace": "ingress-nginx"}]
    controller = find("ingress_nginx", case, "Deployment", "ingress-nginx-controller")
    args = containers(controller)["controller"]["args"]
    assert "--watch-namespace=apps" in args
    assert "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller" in args
    assert "--watch-ingress-without-class=true" not in args
    assert containers(controller)["controller"]["image"] == "mirror.example:5000/ingress-nginx/controller:v1.14.3"
    service = find("ingress_nginx", case, "Service", "ingress-nginx-controller")
    assert service["spec"]["type"] == "LoadBalancer" and service["spec"]["loadBalancerIP"] == "192.0.2.10"
    assert all("nodePort" not in p for p in service["spec"]["ports"])
    ingress_class = find("ingress_nginx", case, "IngressClass", "public")
    assert ingress_class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "false"
    config = find("ingress_nginx", case, "ConfigMap", "ingress-nginx-controller")["data"]
    assert config == {"proxy-body-size": "16m", "use-forwarded-headers": "True"}
    webhook = find("ingress_nginx", case, "ValidatingWebhookConfiguration", "ingress-nginx-admission")["webhooks"][0]
    assert webhook["namespaceSelector"]["matchExpressions"][0]["values"] == ["apps"]


def test_ingress_nginx_admission_webhook_and_jobs():
    webhook = find("ingress_nginx", "defaults", "ValidatingWebhookConfiguration", "ingress-nginx-admission")["webhooks"][0]
    assert webhook["failurePolicy"] == "Fail" and "namespaceSelector" not in webhook
    assert webhook["clientConfig"]["service"]["name"] == "ingress-nginx-controller-admission"
    assert "caBundle" not in webhook["clientConfig"]  # the patch Job owns it
    create = find("ingress_nginx", "defaults", "Job", "ingress-nginx-admission-create")
    patch = find("ingress_nginx", "defaults", "Job", "ingress-nginx-admission-patch")
    assert containers(create)["create"]["args"][0] == "create"
    assert "--secret-name=ingress-nginx-admission" in containers(create)["create"]["args"]
    assert "--webhook-name=ingress-nginx-admission" in containers(patch)["patch"]["args"]
    for job in (create, patch):
        assert len(job["metadata"]["annotations"]["kubelift.io/spec-hash"]) == 64
    mirror = find("ingress_nginx", "loadbalancer-watch-namespace", "Job", "ingress-nginx-admission-create")
    assert mirror["metadata"]["annotations"]["kubelift.io/spec-hash"] != create["metadata"]["annotations"]["kubelift.io/spec-hash"]
    secret_volume = pod_spec(find("ingress_nginx", "defaults", "Deployment", "ingress-nginx-controller"))["volumes"][0]
    assert secret_volume["secret"]["secretName"] == "ingress-nginx-admission"
    admission_role = find("ingress_nginx", "defaults", "ClusterRole", "kubelift:ingress-nginx-admission")
    assert admission_role["rules"] == [{
        "apiGroups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations"],
        "resourceNames": ["ingress-nginx-admission"], "verbs": ["get", "update"],
    }]


def test_ingress_nginx_node_ports_can_be_left_to_kubernetes():
    service = find("ingress_nginx", "nodeport-auto", "Service", "ingress-nginx-controller")
    assert service["spec"]["type"] == "NodePort"
    assert all("nodePort" not in p for p in service["spec"]["ports"])


# --- traefik ----------------------------------------------------------------------------------------------


def test_traefik_defaults():
    deployment = find("traefik", "defaults", "Deployment", "traefik")
    args = containers(deployment)["traefik"]["args"]
    assert "--providers.kubernetesingress=true" in args
    assert "--providers.kubernetesingress.ingressClass=traefik" in args
    assert not [a for a in args if "namespaces=" in a or "publishedService" in a]
    assert containers(deployment)["traefik"]["image"] == "docker.io/library/traefik:v3.6.12"
    ingress_class = find("traefik", "defaults", "IngressClass", "traefik")
    assert ingress_class["spec"]["controller"] == "traefik.io/ingress-controller"
    assert ingress_class["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"] == "true"
    service = find("traefik", "defaults", "Service", "traefik")
    assert service["spec"]["type"] == "NodePort"
    assert {p["name"]: p["nodePort"] for p in service["spec"]["ports"]} == {"web": 30080, "websecure": 30443}
    assert ("", "secrets", "watch") in _rules(find("traefik", "defaults", "ClusterRole", "kubelift:traefik"))


def test_traefik_watched_namespaces_have_no_cluster_wide_secret_reads():
    case = "loadbalancer-watch-namespaces"
    cluster_rules = _rules(find("traefik", case, "ClusterRole", "kubelift:traefik"))
    assert {r[1] for r in cluster_rules} == {"ingressclasses", "nodes"}
    roles = {o["metadata"]["namespace"]: o for o in objects("traefik", case, "Role")}
    assert set(roles) == {"apps", "shop"}
    assert all(("", "secrets", "list") in _rules(role) for role in roles.values())
    args = containers(find("traefik", case, "Deployment", "traefik"))["traefik"]["args"]
    assert "--providers.kubernetesingress.namespaces=apps,shop" in args
    assert "--providers.kubernetesingress.ingressEndpoint.publishedService=traefik/traefik" in args
    service = find("traefik", case, "Service", "traefik")
    assert service["spec"]["type"] == "LoadBalancer" and service["spec"]["loadBalancerIP"] == "192.0.2.20"
    assert find("traefik", case, "IngressClass", "traefik")["metadata"]["annotations"][
        "ingressclass.kubernetes.io/is-default-class"] == "false"


@pytest.mark.parametrize("role", ["ingress_nginx", "traefik"])
def test_removal_finds_every_cluster_scoped_or_foreign_object_it_creates(role):
    """The removal looks up objects by label and kind: every kind the role creates outside its own namespace
    (which goes with the namespace) must be on its list, and carry the labels it looks for."""
    name = {"ingress_nginx": "ingress-nginx", "traefik": "traefik"}[role]
    variables = case_variables(role, next(iter(CASES[role])))
    kinds = {item["kind"] for item in variables[f"_{role}_removal_kinds"]}
    for case in CASES[role]:
        for obj in objects(role, case):
            namespace = obj["metadata"].get("namespace")
            if namespace == case_variables(role, case)[f"{role}_namespace"]:
                continue
            assert obj["kind"] in kinds, f"{role}/{case}: {obj['kind']} {obj['metadata']['name']} would survive the removal"
            labels = obj["metadata"]["labels"]
            assert labels.get("app.kubernetes.io/name") == name and labels.get("app.kubernetes.io/managed-by") == "kubelift"


def test_only_the_chosen_ingress_controller_acts():
    assert evaluate(role_variables("traefik"), "{{ _traefik_active | bool }}") is False
    assert evaluate(role_variables("traefik", {"kubelift_ingress_controller": "traefik"}), "{{ _traefik_active | bool }}") is True
    assert evaluate(role_variables("ingress_nginx"), "{{ _ingress_nginx_active | bool }}") is True
    assert evaluate(role_variables("ingress_nginx", {"kubelift_ingress_controller": "traefik"}), "{{ _ingress_nginx_active | bool }}") is False
    # The one not chosen is removed, unless the role is switched off altogether (then it is left alone).
    assert evaluate(role_variables("ingress_nginx", {"kubelift_ingress_controller": "traefik"}), "{{ _ingress_nginx_remove | bool }}") is True
    assert evaluate(role_variables("ingress_nginx"), "{{ _ingress_nginx_remove | bool }}") is False
    assert evaluate(role_variables("traefik"), "{{ _traefik_remove | bool }}") is True
    assert evaluate(role_variables("traefik", {"traefik_enabled": False}), "{{ _traefik_remove | bool }}") is False


# --- Pod Security ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_pods_meet_their_namespace_pod_security_level(role, case):
    """Pods in a namespace labelled restricted meet the restricted profile's main rules; anything that needs
    more (host network, host paths, capabilities) only runs in namespaces labelled privileged."""
    levels = {
        o["metadata"]["name"]: o["metadata"]["labels"].get("pod-security.kubernetes.io/enforce")
        for o in objects(role, case, "Namespace")
    }
    for item in rendered(role, case):
        obj = item["object"]
        if obj["kind"] not in ("Deployment", "DaemonSet", "StatefulSet", "Job"):
            continue
        level = levels.get(obj["metadata"]["namespace"])
        if level != "restricted":
            continue
        spec = pod_spec(obj)
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), _ident(item)
        assert not [v for v in spec.get("volumes", []) if "hostPath" in v], _ident(item)
        assert spec["securityContext"]["runAsNonRoot"] is True, _ident(item)
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", _ident(item)
        for container in containers(obj).values():
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, _ident(item)
            assert context["capabilities"]["drop"] == ["ALL"], _ident(item)
            assert set(context["capabilities"].get("add", [])) <= {"NET_BIND_SERVICE"}, _ident(item)


# --- logging ----------------------------------------------------------------------------------------------


def test_logging_loki_retention_and_storage():
    for case, retention in (("fluent-bit-loki", "168h"), ("pvc-30d", "720h")):
        config = yaml.safe_load(find("logging", case, "ConfigMap", "loki-config")["data"]["loki.yaml"])
        assert config["compactor"]["retention_enabled"] is True
        assert config["compactor"]["delete_request_store"] == "filesystem"
        assert config["limits_config"]["retention_period"] == retention
        assert config["schema_config"]["configs"][0]["store"] == "tsdb"
    default = find("logging", "fluent-bit-loki", "StatefulSet", "loki")
    assert "volumeClaimTemplates" not in default["spec"]
    assert {"name": "storage", "emptyDir": {"sizeLimit": "20Gi"}} in pod_spec(default)["volumes"]
    pvc = find("logging", "pvc-30d", "StatefulSet", "loki")
    claim = pvc["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "storage"
    assert claim["spec"]["storageClassName"] == "local-path"
    assert claim["spec"]["resources"]["requests"]["storage"] == "100Gi"
    assert claim["spec"]["volumeMode"] == "Filesystem"
    assert not [v for v in pod_spec(pvc)["volumes"] if v["name"] == "storage"]


def test_logging_fluent_bit_reads_container_logs_and_ships_to_loki():
    ds = find("logging", "fluent-bit-loki", "DaemonSet", "fluent-bit")
    spec = pod_spec(ds)
    assert {"operator": "Exists"} in spec["tolerations"]
    mounts = {m["mountPath"]: m for m in containers(ds)["fluent-bit"]["volumeMounts"]}
    assert mounts["/var/log"]["readOnly"] is True
    conf = find("logging", "fluent-bit-loki", "ConfigMap", "fluent-bit-config")["data"]["fluent-bit.conf"]
    sections = [line.strip() for line in conf.splitlines() if line.startswith("[")]
    assert sections == ["[SERVICE]", "[INPUT]", "[FILTER]", "[OUTPUT]"]
    settings = {}
    for line in conf.splitlines():
        if line.startswith("    "):
            key, _, value = line.strip().partition(" ")
            settings.setdefault(key, value.strip())
    assert settings["Path"] == "/var/log/containers/*.log"
    assert "kubernetes" in conf and "Name                kubernetes" in conf
    assert "Host               loki.logging.svc.cluster.local" in conf
    assert "namespace=$kubernetes['namespace_name']" in conf
    role = find("logging", "fluent-bit-loki", "ClusterRole", "kubelift:fluent-bit")
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list", "watch"]}]


def test_grafana_logs_data_source_points_at_the_logging_store():
    """With both roles' defaults, Grafana's logs data source is the logging role's store (logging_backend)."""
    datasources = yaml.safe_load(find("monitoring", "defaults", "ConfigMap", "grafana-datasources")["data"]["kubelift.yaml"])
    logs = [d for d in datasources["datasources"] if d["type"] != "prometheus"]
    assert len(logs) == 1, datasources
    service = find("logging", "defaults", "Service", case_variables("logging", "defaults")["logging_backend"])
    port = service["spec"]["ports"][0]["port"]
    assert logs[0]["url"] == f"http://{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local:{port}"
