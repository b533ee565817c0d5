"""Feed the rendered kubeadm configuration to a real kubeadm binary of the lab's release (no cluster needed).

The release is K8S_VERSION (default 1.36.3, the lab's: kubeadm.k8s.io/v1beta4), the binary the one
hack/build-kubernetes.sh built for it; KUBELIFT_KUBEADM points at another binary. kubeadm 1.36 decodes its
configuration strictly: `kubeadm config migrate` and `kubeadm config validate` fail on a field its API does
not have (`strict decoding error: unknown field ...`) and `kubeadm config images list` warns about it, so a
clean run proves the field mapping of plugins/module_utils/kubeadm_config.py, not just the YAML syntax.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.kubelift.cluster.plugins.module_utils.artifacts import kubeadm_images
from ansible_collections.kubelift.cluster.plugins.module_utils.kubeadm_config import (
    kubeadm_config_yaml,
    kubeadm_features,
)

VERSION = os.environ.get("K8S_VERSION", "1.36.3")
KUBEADM = Path(os.environ.get("KUBELIFT_KUBEADM", Path(os.environ.get("KUBELIFT_CACHE", "/var/cache/kubelift"))
                              / ("kubernetes-" + VERSION) / "bin" / "kubeadm"))
REPOSITORY = "registry.example:5000"
# The settings the control_plane and node_join roles render for the lab (kubelift_lab_mode: node containers
# on a cgroup v1 host): failCgroupV1 false, SystemVerification ignored, no skipped phase (crictl is on the
# nodes, so kubeadm's preflight runs). Everything else a role can set is in here too.
SPEC = {
    "kubernetes_version": VERSION,
    "node_name": "cp-1",
    "node_ip": "192.0.2.10",
    "advertise_address": "192.0.2.10",
    "bind_port": 6443,
    "certificate_key": "ab" * 32,
    "skip_phases": [],
    "ignore_preflight_errors": ["SystemVerification"],
    "image_pull_policy": "IfNotPresent",
    "taints": [],
    "cluster_name": "lab",
    "control_plane_endpoint": "192.0.2.100:6443",
    "image_repository": REPOSITORY,
    "pod_subnet": "10.244.0.0/16",
    "service_subnet": "10.96.0.0/12",
    "dns_domain": "cluster.local",
    "apiserver_cert_sans": ["192.0.2.100"],
    "apiserver_extra_args": {"v": 2},
    "controller_manager_extra_args": {"v": 2},
    "scheduler_extra_args": {"v": 2},
    "etcd_extra_args": [{"name": "heartbeat-interval", "value": 250}, {"name": "election-timeout", "value": 2500}],
    "feature_gates": {},
    "timeouts": {"control_plane": "5m0s", "discovery": "6m0s", "tls_bootstrap": "7m0s"},
    "kubelet": {"cgroup_driver": "systemd", "fail_swap_on": False, "fail_cgroup_v1": False},
    "kube_proxy": {"mode": "iptables", "conntrack_max_per_core": 0},
    "join": {"api_server_endpoint": "192.0.2.100:6443", "token": "abcdef.0123456789abcdef",
             "ca_cert_hashes": ["sha256:" + "0f" * 32], "control_plane": True, "certificate_key": "cd" * 32},
}
BASE_IMAGE = os.environ.get("BASE_IMAGE", "kubelift/debian:bookworm")
REJECTED = ("unknown field", "error unmarshaling", "strict decoding error")


@pytest.fixture(scope="module")
def kubeadm():
    assert KUBEADM.is_file(), f"{KUBEADM} is missing: run hack/build-kubernetes.sh or set KUBELIFT_KUBEADM"
    version = subprocess.run([str(KUBEADM), "version", "-o", "short"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "v" + VERSION
    return str(KUBEADM)


def _run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def _clean(result):
    assert result.returncode == 0, result.stderr
    assert not any(text in result.stderr for text in REJECTED), result.stderr


def _write(tmp_path, name, text):
    # As the control_plane / node_join roles write it: a comment header, then the documents.
    config = tmp_path / name
    config.write_text("#\n# Ansible managed\n#\n" + text)
    return config


def test_the_lab_release_is_rendered_as_v1beta4():
    features = kubeadm_features(VERSION)
    assert features["api_version"] == "kubeadm.k8s.io/v1beta4"
    assert features["config_validate"] and features["fail_cgroup_v1"]
    text = kubeadm_config_yaml(SPEC, "init")
    assert "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n" in text
    assert "failCgroupV1: false" in text
    assert "skipPhases" not in text  # nothing skipped: kubeadm's preflight runs in the lab


@pytest.mark.parametrize("kind", ["init", "join"])
def test_kubeadm_validate_accepts_the_config(kubeadm, tmp_path, kind):
    config = _write(tmp_path, f"{kind}.yaml", kubeadm_config_yaml(SPEC, kind))
    result = _run(kubeadm, "config", "validate", "--config", str(config))
    _clean(result)
    assert "ok" in result.stdout


@pytest.mark.parametrize("kind", ["init", "join"])
def test_kubeadm_migrate_reads_the_config_without_warnings(kubeadm, tmp_path, kind):
    config = _write(tmp_path, f"{kind}.yaml", kubeadm_config_yaml(SPEC, kind))
    out = tmp_path / "out"
    _clean(_run(kubeadm, "config", "migrate", "--old-config", str(config), "--new-config", str(out)))
    migrated = out.read_text()
    assert "apiVersion: kubeadm.k8s.io/v1beta4" in migrated
    assert "  - SystemVerification\n" in migrated.split("ignorePreflightErrors:", 1)[1]
    assert "imagePullPolicy: IfNotPresent" in migrated
    assert "name: node-ip\n    value: 192.0.2.10" in migrated
    assert "taints: []" in migrated  # an explicit empty list: the control plane takes workloads
    assert "skipPhases" not in migrated
    if kind == "join":
        assert "certificateKey: " + "cd" * 32 in migrated
        assert "caCertHashes:\n    - sha256:" + "0f" * 32 in migrated
        # v1beta4's JoinConfiguration.timeouts carry the three timeouts of the spec.
        assert "controlPlaneComponentHealthCheck: 5m0s" in migrated
        assert "discovery: 6m0s" in migrated
        assert "tlsBootstrap: 7m0s" in migrated
    else:
        assert "certificateKey: " + "ab" * 32 in migrated
        assert "imageRepository: " + REPOSITORY in migrated
        assert "kubernetesVersion: v" + VERSION in migrated
        assert "controlPlaneEndpoint: 192.0.2.100:6443" in migrated
        assert "- name: heartbeat-interval\n      value: \"250\"\n    - name: election-timeout" in migrated
        # InitConfiguration.timeouts is there, but `kubeadm config migrate` of 1.36 resets
        # controlPlaneComponentHealthCheck to 0s on v1beta4 input (its v1beta3 migrate mutator copies the
        # absent apiServer.timeoutForControlPlane over it); `kubeadm init --config` does not use that mutator.
        # The field name is proven by the join config above and by `kubeadm config validate`.
        assert "controlPlaneComponentHealthCheck:" in migrated


def test_the_init_config_ignoring_system_verification_is_accepted(kubeadm, tmp_path):
    # What the lab renders (kubelift_lab_mode): kubeadm validates and keeps ignorePreflightErrors.
    spec = dict(SPEC, ignore_preflight_errors=["SystemVerification"], skip_phases=[])
    text = kubeadm_config_yaml(spec, "init")
    registration = text.split("kind: InitConfiguration\n", 1)[1].split("---", 1)[0]
    assert "ignorePreflightErrors:\n  - SystemVerification\n" in registration
    config = _write(tmp_path, "init.yaml", text)
    _clean(_run(kubeadm, "config", "validate", "--config", str(config)))
    out = tmp_path / "out"
    _clean(_run(kubeadm, "config", "migrate", "--old-config", str(config), "--new-config", str(out)))
    init = out.read_text().split("---", 1)[0]
    assert "kind: InitConfiguration" in init
    assert "ignorePreflightErrors:\n  - SystemVerification\n" in init


def _preflight(kubeadm, tmp_path, ignore):
    """`kubeadm init phase preflight --config` in a throwaway container (kubeadm and, when built, kubelet
    of the release mounted; the host's cgroups as the lab's node containers see them). Its CRI checks fail
    (no containerd in there), so it never gets to pull images; the output says how SystemVerification ended."""
    if not shutil.which("docker") or _run("docker", "info").returncode != 0:
        pytest.skip("needs a Docker engine (hack/dockerd.sh start)")
    config = _write(tmp_path, "preflight.yaml", kubeadm_config_yaml(dict(SPEC, ignore_preflight_errors=ignore), "init"))
    mounts = ["-v", "%s:/usr/local/bin/kubeadm:ro" % kubeadm, "-v", "%s:/preflight.yaml:ro" % config]
    kubelet = Path(kubeadm).with_name("kubelet")
    if kubelet.is_file():
        mounts += ["-v", "%s:/usr/local/bin/kubelet:ro" % kubelet]
    result = subprocess.run(["docker", "run", "--rm", "--hostname", "cp-1", *mounts, BASE_IMAGE, "kubeadm", "init",
                             "phase", "preflight", "--dry-run", "--config", "/preflight.yaml"],
                            capture_output=True, text=True, timeout=300)
    return result.stdout + result.stderr, kubelet.is_file()


def test_kubeadm_preflight_turns_system_verification_into_a_warning(kubeadm, tmp_path):
    # With the lab's setting, kubeadm's own preflight reports SystemVerification (on a cgroup v1 host: "cgroups
    # v1 support is deprecated", an error for kubelet 1.35+) as a warning; without it, as an error.
    ignored, with_kubelet = _preflight(kubeadm, tmp_path, ["SystemVerification"])
    assert "[preflight] Running pre-flight checks" in ignored, ignored
    assert "[ERROR SystemVerification]" not in ignored, ignored
    cgroup_v1 = not Path("/sys/fs/cgroup/cgroup.controllers").exists()
    if cgroup_v1 or not with_kubelet:
        assert "[WARNING SystemVerification]" in ignored, ignored
        strict, _ = _preflight(kubeadm, tmp_path, [])
        assert "[ERROR SystemVerification]" in strict, strict
    if cgroup_v1 and with_kubelet:
        assert "cgroups v1 support is deprecated" in ignored.split("[WARNING SystemVerification]", 1)[1], ignored
    # kubeadm checks the list itself when it runs: "all" cannot be combined with a named check.
    refused, _ = _preflight(kubeadm, tmp_path, ["all", "SystemVerification"])
    assert "don't specify individual checks if 'all' is used" in refused, refused


def test_kubeadm_lists_images_from_the_config(kubeadm, tmp_path):
    config = _write(tmp_path, "init.yaml", kubeadm_config_yaml(SPEC, "init"))
    result = _run(kubeadm, "config", "images", "list", "--config", str(config))
    _clean(result)
    listed = result.stdout.split()
    assert listed == kubeadm_images(VERSION, REPOSITORY)
    assert REPOSITORY + "/kube-apiserver:v" + VERSION in listed


@pytest.mark.parametrize("repository", ["registry.k8s.io", REPOSITORY])
def test_kubeadm_images_match_the_artifacts_table(kubeadm, repository):
    # The lab bundle and playbooks/bundle.yml go by kubeadm's list; the table must predict it exactly.
    result = _run(kubeadm, "config", "images", "list", "--kubernetes-version", "v" + VERSION,
                  "--image-repository", repository)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == kubeadm_images(VERSION, repository)


@pytest.mark.parametrize("document, field, where", [
    ("ClusterConfiguration", "apiServer.timeoutForControlPlane", "  certSANs:\n"),
    ("JoinConfiguration", "discovery.timeout", "  tlsBootstrapToken: "),
    ("KubeletConfiguration", "noSuchKubeletField", "failCgroupV1: false\n"),
])
def test_a_field_the_api_lacks_would_be_reported(kubeadm, tmp_path, document, field, where):
    # The checks above can fail: kubeadm rejects a field its API lacks, such as a v1beta3 timeout that
    # v1beta4 moved, or a KubeletConfiguration field its kubelet does not know.
    kind = "join" if document == "JoinConfiguration" else "init"
    text = kubeadm_config_yaml(SPEC, kind)
    leaf = field.rsplit(".", 1)[-1]
    indent = where[:len(where) - len(where.lstrip())]
    assert where in text
    text = text.replace(where, "%s%s: 5m0s\n%s" % (indent, leaf, where), 1)
    config = _write(tmp_path, "bad.yaml", text)
    for command in (["validate", "--config"], ["migrate", "--old-config"]):
        result = _run(kubeadm, "config", *command, str(config), *(["--new-config", str(tmp_path / "out")]
                                                                   if command[0] == "migrate" else []))
        assert result.returncode != 0, (command, text)
        assert 'unknown field "%s"' % field in result.stderr, result.stderr
