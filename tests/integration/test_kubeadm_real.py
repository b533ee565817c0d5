"""Feed the rendered v1beta2 configuration to a real kubeadm 1.20.2 binary (no cluster needed).

Run after `hack/build-kubernetes.sh`: `pytest tests/integration`. KUBELIFT_KUBEADM points at another
binary. kubeadm prints "unknown field" warnings (strict decoding) for fields its API does not have, so a
clean stderr proves the field mapping, not just the YAML syntax.
"""

import os
import subprocess
from pathlib import Path

import pytest

from ansible_collections.kubelift.cluster.plugins.module_utils.kubeadm_config import kubeadm_config_yaml

KUBEADM = Path(os.environ.get("KUBELIFT_KUBEADM", Path(os.environ.get("KUBELIFT_CACHE", "/var/cache/kubelift"))
                              / "kubernetes-1.20.2" / "bin" / "kubeadm"))
SPEC = {
    "kubernetes_version": "1.20.2",
    "node_name": "cp-1",
    "node_ip": "192.0.2.10",
    "advertise_address": "192.0.2.10",
    "bind_port": 6443,
    "certificate_key": "ab" * 32,
    "skip_phases": ["preflight"],
    "image_pull_policy": "IfNotPresent",
    "cluster_name": "lab",
    "control_plane_endpoint": "192.0.2.100:6443",
    "image_repository": "registry.example:5000",
    "pod_subnet": "10.244.0.0/16",
    "service_subnet": "10.96.0.0/12",
    "dns_domain": "cluster.local",
    "apiserver_cert_sans": ["192.0.2.100"],
    "apiserver_extra_args": {"v": 2},
    "controller_manager_extra_args": {"v": 2},
    "scheduler_extra_args": {"v": 2},
    "etcd_extra_args": {"heartbeat-interval": 250},
    "timeouts": {"control_plane": "5m0s", "discovery": "6m0s", "tls_bootstrap": "7m0s"},
    "kubelet": {"fail_swap_on": False, "fail_cgroup_v1": False},
    "kube_proxy": {"conntrack_max_per_core": 0},
    "join": {"api_server_endpoint": "192.0.2.100:6443", "token": "abcdef.0123456789abcdef",
             "ca_cert_hashes": ["sha256:" + "0f" * 32], "control_plane": True, "certificate_key": "cd" * 32},
}


@pytest.fixture(scope="module")
def kubeadm():
    assert KUBEADM.is_file(), f"{KUBEADM} is missing: run hack/build-kubernetes.sh or set KUBELIFT_KUBEADM"
    version = subprocess.run([str(KUBEADM), "version", "-o", "short"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "v1.20.2"
    return str(KUBEADM)


def _run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("kind", ["init", "join"])
def test_kubeadm_migrate_reads_the_config_without_warnings(kubeadm, tmp_path, kind):
    config = tmp_path / f"{kind}.yaml"
    config.write_text(kubeadm_config_yaml(SPEC, kind))
    result = _run(kubeadm, "config", "migrate", "--old-config", str(config), "--new-config", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "unknown field" not in result.stderr and "error unmarshaling" not in result.stderr, result.stderr
    migrated = (tmp_path / "out").read_text()
    if kind == "join":
        assert "certificateKey: " + "cd" * 32 in migrated
        assert "timeout: 6m0s" in migrated
    else:
        assert "timeoutForControlPlane: 5m0s" in migrated
        assert "imageRepository: registry.example:5000" in migrated


def test_kubeadm_lists_images_from_the_config(kubeadm, tmp_path):
    config = tmp_path / "init.yaml"
    # As the control_plane role writes it: a comment header, then the documents.
    config.write_text("#\n# Ansible managed\n#\n" + kubeadm_config_yaml(SPEC, "init"))
    result = _run(kubeadm, "config", "images", "list", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "unknown field" not in result.stderr, result.stderr
    assert "registry.example:5000/kube-apiserver:v1.20.2" in result.stdout.split()
    assert "registry.example:5000/etcd:3.4.13-0" in result.stdout.split()


def test_a_v1beta3_field_would_be_reported(kubeadm, tmp_path):
    # The check above can fail: kubeadm 1.20 reports a field its v1beta2 API lacks.
    text = kubeadm_config_yaml(SPEC, "init").replace("kind: InitConfiguration\n",
                                                     "kind: InitConfiguration\nskipPhases: [preflight]\n")
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    result = _run(kubeadm, "config", "images", "list", "--config", str(config))
    assert 'unknown field "skipPhases"' in result.stderr
