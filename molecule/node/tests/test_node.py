"""State the node, containerd and kube_packages roles leave on the scenario's lab node containers.

The expectations mirror molecule/node/converge.yml: Kubernetes 1.36.3 (and crictl) from the lab bundle, Debian 12's
containerd 1.6, a plain-HTTP mirror for registry.k8s.io, inside containers (restrict_oom_score_adj on).
"""

import json
import os
from pathlib import Path

import pytest

testinfra_hosts = ["all"]

VERSION = "1.36.3"
SOCKET = "/run/containerd/containerd.sock"
MIRROR_ENDPOINT = "http://kubelift-molecule-node-registry:5000"
NODES = ["kubelift-node-1", "kubelift-node-2"]
BUNDLE = Path(os.environ.get("KUBELIFT_CACHE") or "/var/cache/kubelift") / "bundles" / f"kubernetes-{VERSION}-amd64"


def test_containerd_service_running_and_enabled(host):
    svc = host.service("containerd")
    assert svc.is_running
    assert svc.is_enabled


def test_ctr_answers_on_the_socket(host):
    out = host.check_output(f"ctr --address {SOCKET} version")
    assert "Server:" in out
    assert "Version:" in out.split("Server:", 1)[1]


def test_config_toml_values(host):
    config = host.file("/etc/containerd/config.toml")
    assert config.exists
    text = config.content_string
    assert "version = 2" in text
    assert "SystemdCgroup = true" in text
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.2"' in text
    assert 'config_path = "/etc/containerd/certs.d"' in text
    assert "restrict_oom_score_adj = true" in text
    assert 'bin_dir = "/usr/lib/cni"' in text


def test_running_containerd_uses_the_settings(host):
    # `containerd config dump` prints the configuration containerd merged from config.toml and its defaults.
    dump = host.check_output("containerd config dump")
    assert 'sandbox_image = "registry.k8s.io/pause:3.10.2"' in dump
    assert "SystemdCgroup = true" in dump
    assert "restrict_oom_score_adj = true" in dump
    assert 'config_path = "/etc/containerd/certs.d"' in dump
    assert 'snapshotter = "overlayfs"' in dump


def test_mirror_hosts_toml(host):
    hosts_toml = host.file("/etc/containerd/certs.d/registry.k8s.io/hosts.toml")
    assert hosts_toml.exists
    text = hosts_toml.content_string
    assert 'server = "https://registry.k8s.io"' in text
    assert f'[host."{MIRROR_ENDPOINT}"]' in text
    assert 'capabilities = ["pull", "resolve"]' in text


def test_crictl_config(host):
    text = host.file("/etc/crictl.yaml").content_string
    assert f"runtime-endpoint: unix://{SOCKET}" in text


def test_cni_plugins_installed(host):
    for plugin in ("bridge", "host-local", "loopback", "portmap"):
        assert host.file(f"/usr/lib/cni/{plugin}").is_file


@pytest.mark.parametrize(
    "key", ["net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables", "net.ipv4.ip_forward"]
)
def test_sysctl_persisted_and_applied(host, key):
    lines = host.file("/etc/sysctl.d/99-kubelift.conf").content_string.splitlines()
    assert f"{key}=1" in lines
    assert host.sysctl(key) == 1


def test_modules_load_file(host):
    lines = host.file("/etc/modules-load.d/kubelift.conf").content_string.splitlines()
    assert "overlay" in lines
    assert "br_netfilter" in lines


def test_swap_disabled_in_fstab(host):
    # prepare.yml put "/swapfile none swap sw 0 0" there; the node role comments it out.
    active = [
        line for line in host.file("/etc/fstab").content_string.splitlines()
        if line.strip() and not line.lstrip().startswith("#") and len(line.split()) > 2 and line.split()[2] == "swap"
    ]
    assert active == []
    assert "# /swapfile none swap sw 0 0" in host.file("/etc/fstab").content_string


@pytest.mark.parametrize("package", ["conntrack", "socat", "ebtables", "ipset", "iptables", "ethtool", "curl",
                                     "containerd", "containernetworking-plugins", "runc"])
def test_packages_installed(host, package):
    assert host.package(package).is_installed


def test_etc_hosts_lists_every_node(host):
    text = host.file("/etc/hosts").content_string
    assert "# BEGIN kubelift cluster nodes" in text
    block = text.split("# BEGIN kubelift cluster nodes", 1)[1].split("# END kubelift cluster nodes", 1)[0]
    names = {line.split()[1] for line in block.strip().splitlines()}
    assert names == set(NODES)


@pytest.mark.parametrize(
    "command, expected",
    [
        ("kubeadm version -o short", f"v{VERSION}"),
        ("kubelet --version", f"Kubernetes v{VERSION}"),
        ("kubectl version --client | head -1", f"Client Version: v{VERSION}"),
        ("crictl --version", "crictl version v1.36.0"),
    ],
)
def test_binaries_at_the_expected_version(host, command, expected):
    assert host.check_output(f"PATH=/usr/local/bin:$PATH {command}").strip() == expected


@pytest.mark.parametrize("name", ["kubeadm", "kubelet", "kubectl", "crictl"])
def test_binaries_match_the_bundle(host, name):
    manifest = json.loads((BUNDLE / "manifest.json").read_text())
    binary = host.file(f"/usr/local/bin/{name}")
    assert binary.mode == 0o755
    assert binary.sha256sum == manifest["binaries"][name]["sha256"]


def test_kubelet_enabled_with_the_kubeadm_drop_in(host):
    assert host.service("kubelet").is_enabled
    assert "ExecStart=/usr/local/bin/kubelet" in host.file("/etc/systemd/system/kubelet.service").content_string
    dropin = host.file("/etc/systemd/system/kubelet.service.d/10-kubeadm.conf").content_string
    assert "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env" in dropin
    assert "EnvironmentFile=-/etc/default/kubelet" in dropin
    assert "$KUBELET_KUBEADM_ARGS" in dropin
    # systemd merged the drop-in into the unit it runs
    assert "kubeadm-flags.env" in host.check_output("systemctl show kubelet -p EnvironmentFiles")
