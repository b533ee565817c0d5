"""Preflight rules (plugins/module_utils/preflight.py), rule by rule: each with passing and failing cases."""

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.kubelift.cluster.plugins.filter.preflight import FilterModule
from ansible_collections.kubelift.cluster.plugins.module_utils import preflight as pf

ROOT = Path(__file__).resolve().parents[2]
SUPPORTED = ["1.34", "1.35", "1.36", "1.37"]
SHA = "a" * 64


def _errors(found):
    return [item for item in found if item["level"] == pf.ERROR]


def _warnings(found):
    return [item for item in found if item["level"] == pf.WARNING]


def _text(found):
    return "\n".join(pf.format_problem(item) for item in found)


def _assert_outcome(found, expected, level=pf.ERROR):
    """expected None: nothing of any level; else one problem of ``level`` whose line holds ``expected``."""
    if expected is None:
        assert found == [], _text(found)
        return
    assert [item["level"] for item in found] == [level], _text(found)
    assert expected in pf.format_problem(found[0])


# --- the shared model stays in step with the constants -----------------------------------------------------

def _kubelift_role(part):
    return yaml.safe_load((ROOT / "roles" / "kubelift" / part).read_text())


def test_choices_match_the_kubelift_argument_specs():
    options = _kubelift_role("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    for variable, allowed in pf.CHOICES.items():
        assert tuple(options[variable]["choices"]) == allowed, variable


def test_known_variables_match_the_kubelift_defaults():
    assert set(pf.KNOWN_VARIABLES) == set(_kubelift_role("defaults/main.yml"))
    assert set(pf.CLUSTER_SETTINGS) <= set(pf.KNOWN_VARIABLES)


def test_supported_minors_come_from_the_kubelift_vars():
    role_vars = _kubelift_role("vars/main.yml")
    assert pf.supported_range(role_vars["_kubelift_supported_minors"]) == "1.34-1.37"


# --- formatting --------------------------------------------------------------------------------------------

def test_format_problem():
    item = pf.problem("cp1", "kubelift_node_ip", "bad address.", "set it.")
    assert pf.format_problem(item) == "cp1: kubelift_node_ip: bad address. Fix: set it"


def test_problem_lines_merge_the_same_problem_on_several_hosts_and_filter_by_level():
    problems = [
        pf.problem("cluster", "kubelift_cni", "bad", "fix"),
        pf.problem("cp1", "kubelift_kubernetes_version", "cgroup v1", "use v2"),
        pf.problem("cp1", "kubelift_node_ip", "bad", "fix"),
        pf.problem("cp2", "kubelift_kubernetes_version", "cgroup v1", "use v2"),
        pf.problem("cp2", "kubelift_node_ip", "other", "fix"),
        pf.problem("cp3", "kubelift_worker_group", "hint", "fix", pf.WARNING),
    ]
    assert pf.problem_lines(problems) == [
        "cluster: kubelift_cni: bad. Fix: fix",
        "cp1, cp2: kubelift_kubernetes_version: cgroup v1. Fix: use v2",
        "cp1: kubelift_node_ip: bad. Fix: fix",
        "cp2: kubelift_node_ip: other. Fix: fix",
    ]
    assert pf.problem_lines(problems, pf.WARNING) == ["cp3: kubelift_worker_group: hint. Fix: fix"]


# --- version -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("1.36.2", (1, 36, 2)),
    ("1.20.2", (1, 20, 2)),
    ("10.0.11", (10, 0, 11)),
    ("v1.36.2", None),
    ("1.36", None),
    ("1.36.2-rc.1", None),
    ("01.36.2", None),
    (" 1.36.2", None),
    (1.36, None),
    (None, None),
])
def test_parse_version(value, expected):
    assert pf.parse_version(value) == expected


@pytest.mark.parametrize("version, expected", [
    ("1.36.2", None),
    ("1.34.0", None),
    ("1.37.5", None),
    ("1.20.2", "1.20.2 is outside the supported range 1.34-1.37"),
    ("1.33.9", "1.33.9 is outside the supported range 1.34-1.37"),
    ("1.38.0", "outside the supported range 1.34-1.37"),
    ("v1.36.2", "Fix: write it without the leading v: 1.36.2"),
    ("1.36", "'1.36' is not a Kubernetes release in x.y.z form"),
    (1.36, "1.36 is not a Kubernetes release in x.y.z form. Fix: write the release as x.y.z with a supported "
           "minor (1.34-1.37), for example 1.37.0, in quotes so that YAML keeps it a string"),
    ("1.36.2-rc.1", "not a Kubernetes release"),
    ("", "Fix: write the release as x.y.z with a supported minor (1.34-1.37), for example 1.37.0"),
])
def test_check_version(version, expected):
    found = pf.check_version(version, SUPPORTED)
    _assert_outcome(found, expected)
    if expected:
        assert found[0]["host"] == "cluster" and found[0]["variable"] == "kubelift_kubernetes_version"


@pytest.mark.parametrize("value, expected", [
    (True, None),
    (False, None),
    ("yes", None),
    ("false", None),
    ("maybe", "'maybe' is not a boolean"),
    (2, "2 is not a boolean"),
])
def test_check_lab_mode(value, expected):
    _assert_outcome(pf.check_lab_mode(value), expected)


# --- cgroup ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cgroup_v2, version, allow, expected, level", [
    (True, "1.36.2", False, None, None),
    (True, "1.34.0", False, None, None),
    (False, "1.34.0", True, "1.35 and later refuse it", pf.WARNING),
    (False, "not-a-version", False, None, None),
    (False, "1.35.0", False, "kubelet 1.35.0 refuses to start on cgroup v1 unless its failCgroupV1 setting is false",
     pf.ERROR),
    (False, "1.37.1", False, "preflight_allow_cgroup_v1: true", pf.ERROR),
    (False, "1.36.2", True, "preflight_allow_cgroup_v1 is true, so this is only a warning", pf.WARNING),
    (False, "1.34.2", False, "1.35 and later refuse it", pf.WARNING),
])
def test_check_cgroup(cgroup_v2, version, allow, expected, level):
    found = pf.check_cgroup("cp1", cgroup_v2, version, allow)
    _assert_outcome(found, expected, level)
    if expected:
        assert found[0]["host"] == "cp1"


# --- names -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("node-1", None),
    ("cp1.example.com", None),
    ("a", None),
    ("a" * 63 + ".b", None),
    ("Worker_1", "'Worker_1' is not a valid Kubernetes node name"),
    ("-node", "is not a valid Kubernetes node name"),
    ("node-", "is not a valid Kubernetes node name"),
    ("a" * 64, "is not a valid Kubernetes node name"),
    (".".join(["a" * 60] * 5), "is not a valid Kubernetes node name"),
    ("", "'' is not a valid Kubernetes node name"),
    (None, "None is not a valid Kubernetes node name"),
])
def test_check_node_name(name, expected):
    _assert_outcome(pf.check_node_name("w1", name), expected)


@pytest.mark.parametrize("name, suggestion", [
    ("Worker_1", "worker-1"),
    ("My Node.Example.COM", "my-node.example.com"),
    ("__", "node-1"),
])
def test_suggest_dns_name(name, suggestion):
    assert pf.suggest_dns_name(name) == suggestion
    assert pf.is_dns_subdomain(suggestion)


def test_node_name_fix_suggests_a_valid_name():
    assert "Fix: use a name such as 'worker-1'" in _text(pf.check_node_name("w1", "Worker_1"))


@pytest.mark.parametrize("name, domain, expected", [
    ("kubelift", "cluster.local", None),
    ("kubelift", "k8s.example.cn", None),
    ("", "cluster.local", "cluster: kubelift_cluster_name: is empty"),
    ("kubelift", "Cluster_Local", "'Cluster_Local' is not a valid DNS domain"),
    ("kubelift", "", "is not a valid DNS domain"),
])
def test_check_cluster_identity(name, domain, expected):
    _assert_outcome(pf.check_cluster_identity(name, domain), expected)


# --- networks ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, count, expected", [
    ("10.244.0.0/16", 1, None),
    ("10.244.0.0/16,fd00:10:244::/56", 2, None),
    (" 10.244.0.0/16 , fd00:10:244::/56 ", 2, None),
    ("10.244.0.1/16", 0, "'10.244.0.1/16' has host bits set. Fix: use the network address: 10.244.0.0/16"),
    ("10.244.0.0/33", 0, "'10.244.0.0/33' is not a CIDR"),
    ("pods", 0, "'pods' is not a CIDR"),
    ("", 0, "cluster: kubelift_pod_subnet: is empty"),
    (None, 0, "is empty"),
    ("10.244.0.0/16,10.245.0.0/16", 2, "lists more than one IPv4 or IPv6 CIDR"),
])
def test_parse_cidrs(value, count, expected):
    networks, found = pf.parse_cidrs("kubelift_pod_subnet", value)
    assert len(networks) == count
    _assert_outcome(found, expected)


@pytest.mark.parametrize("pods, services, nodes, expected", [
    ("10.244.0.0/16", "10.96.0.0/12", 5, None),
    ("10.244.0.0/16,fd00:10:244::/56", "10.96.0.0/12,fd00:10:96::/112", 5, None),
    ("10.244.0.0/22", "10.96.0.0/12", 4, None),
    ("10.96.0.0/16", "10.96.0.0/12", 3, "pod network 10.96.0.0/16 overlaps service network 10.96.0.0/12"),
    ("10.244.0.0/25", "10.96.0.0/12", 1, "10.244.0.0/25 is smaller than the /24 each node gets from it"),
    ("fd00:10:244::/72", "10.96.0.0/12", 1, "is smaller than the /64 each node gets from it"),
    ("10.244.0.0/23", "10.96.0.0/12", 3, "holds only 2 per-node /24 ranges but the inventory has 3 nodes"),
    ("10.244.0.0/16", "10.0.0.0/11", 1, "10.0.0.0/11 is too large: kube-apiserver accepts at most 20 host bits"),
    ("10.244.0.0/16", "fd00:10:96::/64", 1, "is too large"),
    ("10.244.0.0/16", "10.96.0.0/29", 1, "10.96.0.0/29 is too small"),
    ("10.244.0.0/16", "10.96.0.1/12", 1, "kubelift_service_subnet: '10.96.0.1/12' has host bits set"),
])
def test_check_networks(pods, services, nodes, expected):
    _pods, _services, found = pf.check_networks(pods, services, nodes)
    _assert_outcome(found, expected)


HOST_ADDRESSES = ["192.0.2.10", "172.17.0.1", "fd00::10"]
PODS = [pf.ipaddress.ip_network("10.244.0.0/16")]
SERVICES = [pf.ipaddress.ip_network("10.96.0.0/12")]


@pytest.mark.parametrize("node_ip, default_ipv4, expected, variable", [
    ("", "192.0.2.10", None, None),
    ("172.17.0.1", "192.0.2.10", None, None),
    ("fd00::10", "192.0.2.10", None, None),
    ("10.0.0.300", "192.0.2.10", "'10.0.0.300' is not an IP address", "kubelift_node_ip"),
    (10, "192.0.2.10", "10 is not an IP address", "kubelift_node_ip"),
    ("", "", "is empty and the host has no default IPv4 route", "kubelift_node_ip"),
    ("198.51.100.7", "192.0.2.10", "198.51.100.7 is not an address of this host", "kubelift_node_ip"),
    ("", "10.244.3.4", "node address 10.244.3.4 (the default-route address) lies inside 10.244.0.0/16",
     "kubelift_pod_subnet"),
    ("", "10.100.0.4", "node address 10.100.0.4 (the default-route address) lies inside 10.96.0.0/12",
     "kubelift_service_subnet"),
])
def test_check_node_ip(node_ip, default_ipv4, expected, variable):
    addresses = HOST_ADDRESSES + [default_ipv4] if default_ipv4 else HOST_ADDRESSES
    found = pf.check_node_ip("cp1", node_ip, default_ipv4, addresses, PODS, SERVICES)
    _assert_outcome(found, expected)
    if expected:
        assert found[0]["variable"] == variable


def test_check_node_ip_without_known_addresses_trusts_the_setting():
    assert pf.check_node_ip("cp1", "198.51.100.7", "", [], PODS, SERVICES) == []


# --- inventory ---------------------------------------------------------------------------------------------

CP, WK = "kube_control_plane", "kube_workers"


@pytest.mark.parametrize("control_planes, workers, play_hosts, expected, level", [
    (["cp1"], ["w1"], ["cp1", "w1"], None, None),
    (["cp1", "cp2", "cp3"], ["w1"], [], None, None),
    (["cp1", "cp2", "cp3", "cp4", "cp5"], ["w1"], [], None, None),
    ([], ["w1"], [], "group 'kube_control_plane' is empty or missing from the inventory", pf.ERROR),
    (["cp1", "cp2", "cp3", "cp4"], ["w1"], [], "has 4 hosts: an even number of etcd members", pf.ERROR),
    (["c%d" % i for i in range(6)], ["w1"], [], "Fix: use 5 or 7 control-plane hosts", pf.ERROR),
    (["cp1", "cp2"], ["w1"], [], "group 'kube_control_plane' has 2 hosts: etcd needs both for a quorum", pf.WARNING),
    (["cp1"], ["cp1", "w1"], [], "cp1: kubelift_worker_group: the host is in both", pf.ERROR),
    (["cp1"], [], [], "group 'kube_workers' is empty or missing", pf.WARNING),
    (["cp1"], ["w1"], ["cp1", "w1", "lb1"], "lb1: kubelift_control_plane_group: the host is in neither", pf.WARNING),
])
def test_check_groups(control_planes, workers, play_hosts, expected, level):
    _assert_outcome(pf.check_groups(CP, WK, control_planes, workers, play_hosts), expected, level)


def test_check_groups_rejects_one_group_for_both_roles():
    _assert_outcome(pf.check_groups("k8s", "k8s", ["a"], ["a"]), "is the same group as kubelift_control_plane_group")


@pytest.mark.parametrize("endpoint, count, expected", [
    ("", 1, None),
    ("api.example.com:6443", 3, None),
    ("10.0.0.10:6443", 3, None),
    ("[fd00::10]:6443", 3, None),
    ("", 3, "is empty, but 3 control-plane hosts need one address in front of their API servers"),
    ("api.example.com", 3, "'api.example.com' is not host:port (no scheme, a port is required)"),
    ("https://api.example.com:6443", 1, "is not host:port"),
    ("fd00::10:6443", 1, "is not host:port"),
    ("api.example.com:99999", 1, "'99999' is not a port"),
    ("api.example.com:http", 1, "'http' is not a port"),
    ("API_LB:6443", 1, "'API_LB' is neither an IP address nor a lowercase DNS name"),
])
def test_check_control_plane_endpoint(endpoint, count, expected):
    _assert_outcome(pf.check_control_plane_endpoint(endpoint, count), expected)


@pytest.mark.parametrize("records, expected", [
    ([{"host": "a", "name": "a", "address": "10.0.0.1"}, {"host": "b", "name": "b", "address": "10.0.0.2"}], None),
    ([{"host": "a", "name": "a", "address": None}, {"host": "b", "name": "b", "address": None}], None),
    ([{"host": "a", "name": "n", "address": "10.0.0.1"}, {"host": "b", "name": "n", "address": "10.0.0.2"}],
     "cluster: kubelift_node_name: hosts a, b share the node name 'n'"),
    ([{"host": "a", "name": "a", "address": "10.0.0.1"}, {"host": "b", "name": "b", "address": "10.0.0.1"},
      {"host": "c", "name": "c", "address": "10.0.0.1"}],
     "cluster: kubelift_node_ip: hosts a, b, c share the node address '10.0.0.1'"),
])
def test_check_duplicates(records, expected):
    _assert_outcome(pf.check_duplicates(records), expected)


@pytest.mark.parametrize("family, distribution, arch, expected", [
    ("Debian", "Ubuntu", "x86_64", None),
    ("RedHat", "Rocky", "aarch64", None),
    ("Suse", "openSUSE Leap", "x86_64", "cp1: ansible_os_family: the host runs openSUSE Leap (Suse family)"),
    ("Debian", "Debian", "armv7l", "cp1: ansible_architecture: the host is armv7l"),
    (None, None, "x86_64", "the host runs an unknown system (unknown family)"),
])
def test_check_platform(family, distribution, arch, expected):
    _assert_outcome(pf.check_platform("cp1", family, distribution, arch), expected)


@pytest.mark.parametrize("memory, min_memory, cpus, min_cpus, control_plane, expected", [
    (4000, 1700, 2, 2, True, None),
    (4000, "1700", 1, "2", False, None),
    (None, 1700, None, 2, True, None),
    (1000, 1700, 4, 2, False, "the host has 1000 MiB of memory, less than the 1700 MiB required"),
    (4000, 1700, 1, 2, True, "the control-plane host has 1 CPUs, fewer than the 2 required"),
    (4000, "lots", 2, 2, True, "kubelift_min_memory_mb: 'lots' is not a number"),
    (4000, 1700, 2, True, True, "kubelift_min_cpus: True is not a number"),
])
def test_check_resources(memory, min_memory, cpus, min_cpus, control_plane, expected):
    _assert_outcome(pf.check_resources("cp1", memory, min_memory, cpus, min_cpus, control_plane), expected)


DEFAULT_CHOICES = {
    "kubelift_container_runtime": "containerd",
    "kubelift_cni": "flannel",
    "kubelift_artifact_source": "online",
    "kubelift_bundle_image_delivery": "import",
}


@pytest.mark.parametrize("override, expected", [
    ({}, None),
    ({"kubelift_cni": "bridge", "kubelift_artifact_source": "bundle"}, None),
    ({"kubelift_container_runtime": "docker"}, "kubelift_container_runtime: 'docker' is not a known choice. Fix: use one of: containerd"),
    ({"kubelift_cni": "calico"}, "kubelift_cni: 'calico' is not a known choice. Fix: use one of: flannel, bridge"),
    ({"kubelift_artifact_source": "ftp"}, "kubelift_artifact_source: 'ftp' is not a known choice"),
    ({"kubelift_bundle_image_delivery": "copy"}, "kubelift_bundle_image_delivery: 'copy' is not a known choice"),
])
def test_check_choices(override, expected):
    _assert_outcome(pf.check_choices(dict(DEFAULT_CHOICES, **override)), expected)


@pytest.mark.parametrize("other, expected", [
    ({"kubelift_cni": "flannel", "kubelift_node_name": "b"}, None),
    ({"kubelift_cni": "bridge", "kubelift_node_name": "b"}, "b: kubelift_cni: is 'bridge' here but 'flannel' on a"),
])
def test_check_consistency(other, expected):
    records = [{"host": "a", "settings": {"kubelift_cni": "flannel", "kubelift_node_name": "a"}},
               {"host": "b", "settings": other}]
    _assert_outcome(pf.check_consistency(records), expected)


@pytest.mark.parametrize("names, expected", [
    (["kubelift_cni", "kubelift_node_ip"], None),
    (["kubelift_cin"], "cp1: kubelift_cin: is not a kubelift setting, so nothing reads it. Fix: rename it to kubelift_cni"),
    (["kubelift_zzzzzzzzzzzz"], "Fix: remove it"),
])
def test_check_unknown_variables(names, expected):
    _assert_outcome(pf.check_unknown_variables("cp1", names), expected, pf.WARNING)


# --- sources -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("https://mirrors.example.cn/kubernetes", None),
    ("http://10.0.0.5:5000", None),
    ("http://[fd00::5]:5000/v2", None),
    ("mirror.example.cn", "is not an http:// or https:// URL"),
    ("ftp://mirror.example.cn", "is not an http:// or https:// URL"),
    ("https://", "is not an http:// or https:// URL"),
    ("http://host:99999", "is not a valid URL"),
    ("https://mirror example.cn", "contains spaces"),
    ("", "is empty"),
    (None, "is empty"),
])
def test_url_problem(url, expected):
    reason = pf.url_problem(url)
    if expected is None:
        assert reason is None
    else:
        assert expected in reason


@pytest.mark.parametrize("url, expected", [
    ("https://mirrors.example.cn/kubernetes", None),
    ("", "kubelift_package_mirror_url: is empty (kubelift_artifact_source is mirror)"),
    ("mirrors.example.cn", "is not an http:// or https:// URL"),
])
def test_check_mirror_url(url, expected):
    _assert_outcome(pf.check_mirror_url(url), expected)


@pytest.mark.parametrize("repository, expected", [
    ("registry.k8s.io", None),
    ("mirror.example.cn:5000/k8s", None),
    ("https://registry.example.cn/k8s", "'https://registry.example.cn/k8s' is not a registry path"),
    ("registry.example.cn/", "is not a registry path"),
    ("", "kubelift_image_repository: is empty"),
])
def test_check_image_repository(repository, expected):
    _assert_outcome(pf.check_image_repository(repository), expected)


GOOD_MIRRORS = [
    {"registry": "docker.io", "endpoints": ["https://mirror.example.cn"]},
    {"registry": "registry.k8s.io", "endpoints": ["http://172.17.0.1:5000"], "plain_http": True,
     "skip_verify": False, "ca_file": "/etc/ssl/mirror.pem"},
    {"registry": "_default", "endpoints": ["https://mirror.example.cn"]},
]


@pytest.mark.parametrize("mirrors, expected", [
    ([], None),
    (None, None),
    (GOOD_MIRRORS, None),
    ({"registry": "docker.io"}, "kubelift_registry_mirrors: is dict, not a list"),
    (["docker.io"], "item 1 is not a mapping"),
    ([{"endpoints": ["https://m.example.cn"]}], "item 1 has no registry"),
    ([{"registry": "https://docker.io", "endpoints": ["https://m.example.cn"]}],
     "registry 'https://docker.io' is not a registry host"),
    ([{"registry": "docker.io"}], "item 1 (docker.io) has no endpoints"),
    ([{"registry": "docker.io", "endpoints": "https://m.example.cn"}], "item 1 (docker.io): endpoints is not a list"),
    ([{"registry": "quay.io", "endpoints": ["mirror.example.cn"]}],
     "item 1 (quay.io): endpoint 'mirror.example.cn' is not an http:// or https:// URL"),
    ([{"registry": "quay.io", "endpoints": ["https://m.example.cn"], "plain_http": "yes"}],
     "plain_http is 'yes', not true or false"),
    ([{"registry": "quay.io", "endpoints": ["https://m.example.cn"], "ca_file": "ca.pem"}],
     "ca_file 'ca.pem' is not an absolute path"),
    ([{"registry": "quay.io", "endpoint": ["https://m.example.cn"], "endpoints": ["https://m.example.cn"]}],
     "item 1 (quay.io) has an unknown key 'endpoint'. Fix: rename it to endpoints"),
    ([{"registry": "quay.io", "endpoints": ["https://a.example.cn"]},
      {"registry": "quay.io", "endpoints": ["https://b.example.cn"]}], "registry 'quay.io' appears in items 1, 2"),
])
def test_check_registry_mirrors(mirrors, expected):
    _assert_outcome(pf.check_registry_mirrors("cluster", mirrors), expected)


def _manifest(**override):
    manifest = {
        "format": 1,
        "kubernetes_version": "1.36.2",
        "arch": "amd64",
        "image_repository": "registry.k8s.io",
        "binaries": {name: {"file": "bin/%s" % name, "sha256": SHA} for name in pf.BUNDLE_BINARIES},
        "images": [{"name": "registry.k8s.io/pause:3.10", "file": "images/pause_3.10.tar", "sha256": SHA}],
    }
    manifest.update(override)
    return manifest


BUNDLE_FILES = {"bin/kubeadm", "bin/kubelet", "bin/kubectl", "images/pause_3.10.tar", "manifest.json"}


@pytest.mark.parametrize("manifest, arches, delivery, expected", [
    (_manifest(), ["x86_64"], "import", None),
    (_manifest(images=[]), ["x86_64"], "registry", None),
    (_manifest(), ["x86_64", "aarch64"], "import", "the bundle is for 'amd64' but the inventory has arm64 hosts"),
    (_manifest(kubernetes_version="1.35.0"), [], "import",
     "the bundle holds Kubernetes '1.35.0' but kubelift_kubernetes_version is '1.36.2'"),
    (_manifest(format=2), [], "import", "manifest.json has format 2, expected 1"),
    (["not", "an", "object"], [], "import", "manifest.json is not a JSON object"),
    (_manifest(binaries={"kubeadm": {"file": "bin/kubeadm", "sha256": SHA},
                         "kubectl": {"file": "bin/kubectl", "sha256": SHA}}), [], "import",
     "manifest.json lists no kubelet binary"),
    (_manifest(binaries=None), [], "import", "manifest.json has no binaries object"),
    (_manifest(images=None), [], "registry", "manifest.json has no images list"),
    (_manifest(images=[]), [], "import", "lists no images, but kubelift_bundle_image_delivery is import"),
    (_manifest(images=[{"name": "x", "file": "images/pause_3.10.tar"}]), [], "import",
     "manifest.json: image x has no sha256"),
    (_manifest(images=[{"name": "x", "file": "images/pause_3.10.tar", "sha256": "abc"}]), [], "import",
     "image x has a sha256 that is not 64 hex digits"),
    (_manifest(images=[{"name": "x", "file": "images/gone.tar", "sha256": SHA}]), [], "import",
     "manifest.json: image x points to images/gone.tar, which is missing"),
    (_manifest(images=[{"name": "x", "file": "../outside.tar", "sha256": SHA}]), [], "import",
     "image x has no file inside the bundle ('../outside.tar')"),
    (_manifest(images=[{"name": "x", "file": "/abs/x.tar", "sha256": SHA}]), [], "import", "has no file inside the bundle"),
    (_manifest(images=[{"file": "images/pause_3.10.tar", "sha256": SHA}]), [], "import", "image 1 has no name"),
    (_manifest(images=["registry.k8s.io/pause:3.10"]), [], "import", "image 1 is not an object with file and sha256"),
])
def test_check_bundle_manifest(manifest, arches, delivery, expected):
    found = pf.check_bundle_manifest(manifest, "1.36.2", BUNDLE_FILES.__contains__, arches, delivery)
    _assert_outcome(found, expected)
    if expected:
        assert found[0]["variable"] == "kubelift_bundle_dir"


def test_check_bundle_manifest_asks_the_callback_with_normalised_paths():
    asked = []
    manifest = _manifest(images=[{"name": "x", "file": "images/./sub/../x.tar", "sha256": SHA}])
    pf.check_bundle_manifest(manifest, "1.36.2", lambda path: asked.append(path) or True)
    assert "images/x.tar" in asked and "bin/kubeadm" in asked


def _listing(manifest, bundle_dir="/srv/bundle", files=BUNDLE_FILES):
    return {"exists": True, "is_dir": True, "files": ["%s/%s" % (bundle_dir.rstrip("/"), name) for name in files],
            "manifest": manifest if manifest is None or isinstance(manifest, str) else json.dumps(manifest)}


@pytest.mark.parametrize("bundle_dir, listing, expected", [
    ("/srv/bundle", _listing(_manifest()), None),
    ("/srv/bundle/", _listing(_manifest()), None),
    ("/srv/x/../bundle", _listing(_manifest(), "/srv/x/../bundle"), None),
    ("", None, "kubelift_bundle_dir: is empty but kubelift_artifact_source is bundle"),
    ("bundle", None, "'bundle' is not an absolute path"),
    ("/srv/bundle", {"exists": False}, "/srv/bundle does not exist on the controller"),
    ("/srv/bundle", {"exists": True, "is_dir": False}, "/srv/bundle is not a directory"),
    ("/srv/bundle", _listing(None), "/srv/bundle has no manifest.json"),
    ("/srv/bundle", _listing("{not json"), "/srv/bundle/manifest.json is not valid JSON"),
    ("/srv/bundle", _listing(_manifest(), files=BUNDLE_FILES - {"bin/kubelet"}),
     "binary kubelet points to bin/kubelet, which is missing"),
])
def test_check_bundle(bundle_dir, listing, expected):
    _assert_outcome(pf.check_bundle(bundle_dir, listing, "1.36.2", ["x86_64"], "import"), expected)


def test_the_test_bundles_are_what_the_playbook_test_expects():
    good = ROOT / "tests" / "preflight" / "good_bundle"
    manifest = json.loads((good / "manifest.json").read_text())
    entries = list(manifest["binaries"].values()) + manifest["images"]
    for entry in entries:
        assert hashlib.sha256((good / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    listing = {"exists": True, "is_dir": True, "manifest": json.dumps(manifest),
               "files": [str(path) for path in good.rglob("*")]}
    assert pf.check_bundle(str(good), listing, "1.36.3", ["x86_64"], "registry") == []


BASE_SETTINGS = {
    "kubelift_artifact_source": "online",
    "kubelift_package_mirror_url": "",
    "kubelift_bundle_dir": "",
    "kubelift_image_repository": "registry.k8s.io",
    "kubelift_kubernetes_version": "1.36.2",
    "kubelift_bundle_image_delivery": "import",
}


@pytest.mark.parametrize("override, mirrors, expected, level", [
    ({}, [], None, None),
    ({"kubelift_artifact_source": "mirror", "kubelift_package_mirror_url": "https://m.example.cn/k8s",
      "kubelift_image_repository": "m.example.cn/k8s"}, [], None, None),
    ({"kubelift_artifact_source": "mirror", "kubelift_package_mirror_url": "https://m.example.cn/k8s"},
     [{"registry": "registry.k8s.io", "endpoints": ["https://m.example.cn"]}], None, None),
    ({"kubelift_artifact_source": "mirror"}, [{"registry": "registry.k8s.io", "endpoints": ["https://m.example.cn"]}],
     "kubelift_package_mirror_url: is empty", pf.ERROR),
    ({"kubelift_artifact_source": "mirror", "kubelift_package_mirror_url": "ftp://m.example.cn"},
     [{"registry": "registry.k8s.io", "endpoints": ["https://m.example.cn"]}], "is not an http:// or https:// URL",
     pf.ERROR),
    ({"kubelift_artifact_source": "mirror", "kubelift_package_mirror_url": "https://m.example.cn/k8s"}, [],
     "kubelift_image_repository: is still registry.k8s.io and no kubelift_registry_mirrors item covers it",
     pf.WARNING),
    ({"kubelift_package_mirror_url": "https://m.example.cn/k8s"}, [],
     "kubelift_package_mirror_url: is set but kubelift_artifact_source is 'online', so nothing uses it", pf.WARNING),
    ({"kubelift_bundle_dir": "/srv/bundle"}, [], "kubelift_bundle_dir: is set but kubelift_artifact_source is 'online'",
     pf.WARNING),
    ({"kubelift_artifact_source": "bundle"}, [], "kubelift_bundle_dir: is empty but kubelift_artifact_source is bundle",
     pf.ERROR),
])
def test_check_artifact_source(override, mirrors, expected, level):
    _assert_outcome(pf.check_artifact_source(dict(BASE_SETTINGS, **override), None, ["x86_64"], mirrors),
                    expected, level)


def test_check_artifact_source_bundle_passes_the_listing_on():
    settings = dict(BASE_SETTINGS, kubelift_artifact_source="bundle", kubelift_bundle_dir="/srv/bundle")
    assert pf.check_artifact_source(settings, _listing(_manifest()), ["x86_64"], []) == []
    settings["kubelift_bundle_image_delivery"] = "registry"
    found = pf.check_artifact_source(settings, _listing(_manifest()), ["x86_64"], [])
    assert "kubelift_image_repository: is still registry.k8s.io" in _text(_warnings(found))


# --- everything together -----------------------------------------------------------------------------------

DEFAULTS = _kubelift_role("defaults/main.yml")


def _record(host, cgroup_v2=True, facts=None, **settings):
    merged = dict(DEFAULTS, kubelift_node_name=host)
    merged.update(settings)
    base_facts = {"os_family": "Debian", "distribution": "Debian", "architecture": "x86_64", "memtotal_mb": 4096,
                  "cpus": 2, "default_ipv4": "192.0.2.%d" % (10 + len(host) + sum(map(ord, host)) % 200),
                  "addresses": [], "cgroup_v2": cgroup_v2}
    base_facts.update(facts or {})
    return {"host": host, "settings": merged, "facts": base_facts}


GROUPS = {"kube_control_plane": ["cp1", "cp2", "cp3"], "kube_workers": ["w1", "w2"]}
CONTEXT = {"supported_minors": SUPPORTED, "allow_cgroup_v1": False, "bundle": None}


def _cluster(**per_host):
    hosts = []
    for index, host in enumerate(["cp1", "cp2", "cp3", "w1", "w2"]):
        record = _record(host, kubelift_control_plane_endpoint="api.example.com:6443",
                         **per_host.get(host, {}))
        record["facts"]["default_ipv4"] = "192.0.2.%d" % (10 + index)
        hosts.append(record)
    return hosts


def test_preflight_problems_on_a_good_cluster_is_empty():
    assert pf.preflight_problems(_cluster(), GROUPS, CONTEXT) == []


def test_preflight_problems_lists_everything_cluster_first_then_hosts_in_play_order():
    hosts = _cluster(w2={"kubelift_node_name": "cp1"}, cp2={"kubelift_node_ip": "10.244.0.5"},
                     cp1={"kubelift_cni": "calico"})
    hosts[2]["facts"]["cgroup_v2"] = False
    found = pf.preflight_problems(hosts, GROUPS, CONTEXT)
    lines = [pf.format_problem(item) for item in found]
    assert lines[0].startswith("cluster: kubelift_cni: 'calico' is not a known choice")
    hosts_in_order = [item["host"] for item in found]
    assert hosts_in_order == sorted(hosts_in_order, key=["cluster", "cp1", "cp2", "cp3", "w1", "w2"].index)
    text = "\n".join(lines)
    assert "cluster: kubelift_node_name: hosts cp1, w2 share the node name 'cp1'" in text
    assert "cp2: kubelift_pod_subnet: node address 10.244.0.5 (kubelift_node_ip) lies inside 10.244.0.0/16" in text
    assert "cp3: kubelift_kubernetes_version: cgroup v1 in use" in text
    # cp1 is the reference: the others differ from it.
    assert "cp2: kubelift_cni: is 'flannel' here but 'calico' on cp1" in text


def test_preflight_problems_reports_a_typo_once_when_every_host_has_it():
    found = pf.preflight_problems(_cluster(**{h: {"kubelift_cin": "x"} for h in ["cp1", "cp2", "cp3", "w1", "w2"]}),
                                  GROUPS, CONTEXT)
    assert [pf.format_problem(item)[:24] for item in found] == ["cluster: kubelift_cin: i"]
    found = pf.preflight_problems(_cluster(w1={"kubelift_cin": "x"}), GROUPS, CONTEXT)
    assert [(item["host"], item["level"]) for item in found] == [("w1", pf.WARNING)]


def test_preflight_problems_checks_registry_mirrors_per_host_when_they_differ():
    bad = [{"registry": "docker.io"}]
    found = pf.preflight_problems(_cluster(w1={"kubelift_registry_mirrors": bad}), GROUPS, CONTEXT)
    assert [item["host"] for item in found] == ["w1"]
    same = {h: {"kubelift_registry_mirrors": bad} for h in ["cp1", "cp2", "cp3", "w1", "w2"]}
    found = pf.preflight_problems(_cluster(**same), GROUPS, CONTEXT)
    assert [item["host"] for item in found] == ["cluster"]


def test_preflight_problems_uses_the_inventory_groups_not_only_the_play():
    hosts = _cluster()[:1]  # --limit cp1: the group still has 4 members
    groups = {"kube_control_plane": ["cp1", "cp2", "cp3", "cp4"], "kube_workers": []}
    found = pf.preflight_problems(hosts, groups, CONTEXT)
    assert "has 4 hosts" in _text(_errors(found))


def test_preflight_problems_with_no_hosts():
    assert pf.preflight_problems([], GROUPS, CONTEXT) == []


# --- the filter plugin -------------------------------------------------------------------------------------

def test_filters_are_registered_and_delegate_to_module_utils():
    filters = FilterModule().filters()
    calico = {host: {"kubelift_cni": "calico"} for host in ["cp1", "cp2", "cp3", "w1", "w2"]}
    problems = filters["preflight_problems"](_cluster(**calico), GROUPS, CONTEXT)
    assert filters["preflight_lines"](problems) == pf.problem_lines(problems)
    assert len(filters["preflight_lines"](problems)) == 1


@pytest.mark.parametrize("args", [
    ("not a list",),
    ([{"settings": {}}],),
    ([], "groups"),
    ([], {}, ["context"]),
])
def test_preflight_problems_filter_rejects_bad_input(args):
    with pytest.raises(AnsibleFilterError):
        FilterModule().filters()["preflight_problems"](*args)


@pytest.mark.parametrize("args", [({"not": "a list"},), ([], "fatal")])
def test_preflight_lines_filter_rejects_bad_input(args):
    with pytest.raises(AnsibleFilterError):
        FilterModule().filters()["preflight_lines"](*args)
