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
import pytest
import yaml

from _addon_render import ADDON_ROLES, ROLES_DIR, render, role_variables, templates

K8S_VERSIONS = ["1.33", "1.34", "1.35", "1.36", "1.37"]

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
    for template in templates(role):
        for obj in render(role, template, variables):
            objects.append({"template": template.name, "object": obj})
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
        try:
            kubernetes_validate.validate(item["object"], version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{role}/{case} {_ident(item)} invalid for {version} at {path}: {exc.message}")


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_api_versions_served_by_1_20(role, case):
    for item in rendered(role, case):
        obj = item["object"]
        assert (obj["apiVersion"], obj["kind"]) in SERVED_BY_1_20_AND_CURRENT, (
            f"{_ident(item)} uses {obj['apiVersion']} {obj['kind']}, not served by both Kubernetes 1.20 and current releases"
        )


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_no_unexplained_rbac_wildcards(role, case):
    for item in rendered(role, case):
        obj = item["object"]
        if obj["kind"] not in ("Role", "ClusterRole"):
            continue
        source = (ROLES_DIR / role / "templates" / item["template"]).read_text()
        for rule in obj.get("rules", []):
            wildcard = any(
                "*" in value for key in ("verbs", "resources", "apiGroups", "nonResourceURLs") for value in rule.get(key, [])
            )
            if wildcard:
                assert RBAC_WILDCARD_MARKER in source, (
                    f"{_ident(item)} grants a wildcard ({rule}) without a '{RBAC_WILDCARD_MARKER}: <why>' comment"
                )


@pytest.mark.parametrize(("role", "case"), CASE_IDS, ids=[f"{r}-{c}" for r, c in CASE_IDS])
def test_objects_are_labelled_and_namespaced(role, case):
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "IngressClass", "ValidatingWebhookConfiguration"}
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
