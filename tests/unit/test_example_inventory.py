"""inventories/example/ loads with ansible-inventory and carries a complete, consistent HA cluster."""

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubelift.cluster.plugins.module_utils import artifacts

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "inventories" / "example"
SHARED_DEFAULTS = yaml.safe_load((ROOT / "roles" / "kubelift" / "defaults" / "main.yml").read_text())
SUPPORTED_MINORS = yaml.safe_load((ROOT / "roles" / "kubelift" / "vars" / "main.yml").read_text())[
    "_kubelift_supported_minors"]


@pytest.fixture(scope="module")
def inventory():
    tool = shutil.which("ansible-inventory") or str(Path(sys.executable).parent / "ansible-inventory")
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    out = subprocess.run([tool, "-i", str(EXAMPLE / "hosts.yml"), "--list"], cwd=str(ROOT), env=env,
                         check=True, capture_output=True, text=True, timeout=120)
    assert "WARNING" not in out.stderr, out.stderr
    return json.loads(out.stdout)


def _hosts(inventory, group):
    return inventory[group]["hosts"]


def test_groups_hold_three_control_planes_and_three_workers(inventory):
    control = _hosts(inventory, SHARED_DEFAULTS["kubelift_control_plane_group"])
    workers = _hosts(inventory, SHARED_DEFAULTS["kubelift_worker_group"])
    assert len(control) == 3 and len(workers) == 3
    assert not set(control) & set(workers)
    assert sorted(inventory["k8s_cluster"]["children"]) == ["kube_control_plane", "kube_workers"]


def test_every_node_resolves_the_cluster_settings(inventory):
    hostvars = inventory["_meta"]["hostvars"]
    nodes = _hosts(inventory, "kube_control_plane") + _hosts(inventory, "kube_workers")
    addresses = set()
    for node in nodes:
        values = hostvars[node]
        addresses.add(ipaddress.ip_address(values["ansible_host"]))
        version = values["kubelift_kubernetes_version"]
        assert ".".join(version.split(".")[:2]) in SUPPORTED_MINORS, (node, version)
        # The release is one whose images and package repository the collection can name.
        assert len(artifacts.kubeadm_images(version, values["kubelift_image_repository"])) == 7
        assert artifacts.package_repo(version, values["kubelift_artifact_source"],
                                      values.get("kubelift_package_mirror_url", ""), "Debian")["minor"] == "v1.36"
        assert values["kubelift_cni"] == "flannel"
        assert values["ansible_become"] is True
    endpoint_host, endpoint_port = hostvars[nodes[0]]["kubelift_control_plane_endpoint"].rsplit(":", 1)
    vip = ipaddress.ip_address(endpoint_host)
    assert int(endpoint_port) == 6443
    assert vip not in addresses, "the control-plane endpoint must not be a node's own address"
    pods = ipaddress.ip_network(hostvars[nodes[0]]["kubelift_pod_subnet"])
    services = ipaddress.ip_network(hostvars[nodes[0]]["kubelift_service_subnet"])
    assert not pods.overlaps(services)
    for address in addresses | {vip}:
        assert address not in pods and address not in services
        assert address in ipaddress.ip_network("192.0.2.0/24"), "example addresses stay in the documentation range"


def test_group_vars_only_set_known_shared_settings():
    for path in sorted((EXAMPLE / "group_vars" / "all").glob("*.yml")):
        values = yaml.safe_load(path.read_text()) or {}
        unknown = sorted(set(values) - set(SHARED_DEFAULTS))
        assert not unknown, f"{path.name} sets variables no role defines: {unknown}"


def test_commented_alternatives_in_artifacts_yml_are_valid(tmp_path):
    """Each commented block of artifacts.yml, uncommented, is valid YAML naming known variables and working
    sources (the mainland-China mirror included)."""
    text = (EXAMPLE / "group_vars" / "all" / "artifacts.yml").read_text()
    blocks, current = [], []
    for line in text.splitlines():
        setting = re.match(r"^# (# )?(kubelift_[a-z_]+:.*)$", line)
        if setting:
            current.append(setting.group(2))
        elif current and line.startswith("#   "):
            current.append(line[2:])
        else:
            if current:
                blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    assert len(blocks) >= 3
    sources = set()
    for block in blocks:
        values = yaml.safe_load(block)
        assert set(values) <= set(SHARED_DEFAULTS), block
        if "kubelift_artifact_source" in values:
            sources.add(values["kubelift_artifact_source"])
        if values.get("kubelift_package_mirror_url"):
            repo = artifacts.package_repo("1.36.2", "mirror", values["kubelift_package_mirror_url"], "Debian")
            assert repo["url"].endswith("/v1.36/deb/"), repo
        if values.get("kubelift_image_repository"):
            assert artifacts.kubeadm_images("1.36.2", values["kubelift_image_repository"])
    assert sources == {"mirror", "bundle"}
    assert "registry.aliyuncs.com/google_containers" in text
