# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight rules of kubelift.cluster.

Plain functions, no Ansible imports: each rule takes values (settings, facts, inventory groups) and returns
a list of problems. A problem is a dict with ``host`` (an inventory host, or ``cluster`` for a
cluster-wide problem), ``variable`` (what to change), ``problem`` (what is wrong), ``fix`` (how to
fix it) and ``level`` (``error`` or ``warning``). ``preflight_problems`` runs every rule over the hosts of
a play; ``format_problem`` renders one problem as a line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import ipaddress
import json
import posixpath
import re

try:  # Python 3
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 controllers are not supported, this keeps imports working
    from urlparse import urlsplit

ERROR = "error"
WARNING = "warning"
CLUSTER = "cluster"

# Choices of the shared settings (the same lists as roles/kubelift/meta/argument_specs.yml; a unit test
# keeps them in step).
CHOICES = {
    "kubelift_container_runtime": ("containerd",),
    "kubelift_cni": ("flannel", "bridge"),
    "kubelift_artifact_source": ("online", "mirror", "bundle"),
    "kubelift_bundle_image_delivery": ("import", "registry"),
}

# Every public variable of the shared kubelift role (roles/kubelift/defaults/main.yml; a unit test keeps
# this in step). Any other kubelift_* variable in the inventory is most likely a typo.
KNOWN_VARIABLES = (
    "kubelift_kubernetes_version",
    "kubelift_lab_mode",
    "kubelift_control_plane_group",
    "kubelift_worker_group",
    "kubelift_cluster_name",
    "kubelift_cluster_domain",
    "kubelift_pod_subnet",
    "kubelift_service_subnet",
    "kubelift_control_plane_endpoint",
    "kubelift_node_name",
    "kubelift_node_ip",
    "kubelift_container_runtime",
    "kubelift_cni",
    "kubelift_ingress_controller",
    "kubelift_artifact_source",
    "kubelift_package_mirror_url",
    "kubelift_image_repository",
    "kubelift_bundle_dir",
    "kubelift_bundle_image_delivery",
    "kubelift_registry_mirrors",
    "kubelift_min_memory_mb",
    "kubelift_min_cpus",
)

# Settings that describe the whole cluster: every host must see the same value.
CLUSTER_SETTINGS = (
    "kubelift_kubernetes_version",
    "kubelift_lab_mode",
    "kubelift_control_plane_group",
    "kubelift_worker_group",
    "kubelift_cluster_name",
    "kubelift_cluster_domain",
    "kubelift_pod_subnet",
    "kubelift_service_subnet",
    "kubelift_control_plane_endpoint",
    "kubelift_container_runtime",
    "kubelift_cni",
    "kubelift_artifact_source",
    "kubelift_package_mirror_url",
    "kubelift_image_repository",
    "kubelift_bundle_dir",
    "kubelift_bundle_image_delivery",
)

SUPPORTED_OS_FAMILIES = ("Debian", "RedHat")
# Architectures as Ansible reports them, and the name Kubernetes artifacts use for each.
SUPPORTED_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64"}
BUNDLE_FORMAT = 1
BUNDLE_BINARIES = ("kubeadm", "kubelet", "kubectl")
REGISTRY_MIRROR_KEYS = ("registry", "endpoints", "plain_http", "skip_verify", "ca_file")
# kube-controller-manager hands every node a slice of the pod network of this size (its default
# --node-cidr-mask-size), and flannel does the same.
NODE_CIDR_PREFIX = {4: 24, 6: 64}
# kube-apiserver refuses a service range with more than 20 host bits.
SERVICE_MAX_HOST_BITS = 20
# kubeadm gives the API server Service the 1st address and cluster DNS the 10th address of the range.
SERVICE_MIN_ADDRESSES = 16
EXAMPLE_CIDRS = {"kubelift_pod_subnet": "10.244.0.0/16", "kubelift_service_subnet": "10.96.0.0/12"}

_VERSION_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN_RE = re.compile(r"^%s(\.%s)*$" % (_DNS_LABEL, _DNS_LABEL))
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


# --- problems -------------------------------------------------------------------------------------------

def problem(host, variable, what, fix, level=ERROR):
    """One problem found by preflight."""
    return {"host": host, "variable": variable, "problem": what, "fix": fix, "level": level}


def format_problem(item):
    """Render a problem as ``<host>: <variable>: <what is wrong>. Fix: <how>``."""
    return "%s: %s: %s. Fix: %s" % (
        item["host"], item["variable"], item["problem"].rstrip("."), item["fix"].rstrip("."))


def _show(value):
    """A value as the operator wrote it: strings in single quotes, anything else as Python shows it."""
    if isinstance(value, str):
        return "'%s'" % value
    return repr(value)


def _as_bool(value):
    """True/False for a boolean-like value, None when it is not one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def _as_int(value):
    """An int for an integer-like value (not a bool), None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


# --- Kubernetes version ---------------------------------------------------------------------------------

def parse_version(value):
    """(major, minor, patch) for an ``x.y.z`` string, None for anything else (``v1.36.2``, ``1.36``...)."""
    if not isinstance(value, str):
        return None
    match = _VERSION_RE.match(value)
    if not match:
        return None
    return tuple(int(group) for group in match.groups())


def _minor_key(minor):
    return tuple(int(part) for part in minor.split("."))


def supported_range(supported_minors):
    """``1.34-1.37`` for the list of supported minors."""
    ordered = sorted(supported_minors, key=_minor_key)
    if not ordered:
        return "(none)"
    if len(ordered) == 1:
        return ordered[0]
    return "%s-%s" % (ordered[0], ordered[-1])


def check_version(version, supported_minors):
    """The release must be x.y.z (no leading v) in a supported minor."""
    var = "kubelift_kubernetes_version"
    supported = supported_range(supported_minors)
    newest = sorted(supported_minors, key=_minor_key)[-1] if supported_minors else "1.36"
    parsed = parse_version(version)
    if parsed is None:
        if isinstance(version, str) and version[:1] in ("v", "V") and parse_version(version[1:]):
            fix = "write it without the leading v: %s" % version[1:]
        else:
            fix = "write the release as x.y.z with a supported minor (%s), for example %s.0" % (supported, newest)
            if not isinstance(version, str):
                fix += ", in quotes so that YAML keeps it a string"
        return [problem(CLUSTER, var, "%s is not a Kubernetes release in x.y.z form" % _show(version), fix)]
    if "%d.%d" % parsed[:2] not in supported_minors:
        return [problem(CLUSTER, var, "%s is outside the supported range %s" % (version, supported),
                        "pick a release of %s, for example %s.0" % (supported, newest))]
    return []


def check_lab_mode(value):
    """kubelift_lab_mode must be a boolean."""
    if _as_bool(value) is None:
        return [problem(CLUSTER, "kubelift_lab_mode", "%s is not a boolean" % _show(value),
                        "set it to true or false")]
    return []


def check_cgroup(host, cgroup_v2, version, allow_v1=False):
    """Kubelet 1.35 and later refuses to start on a cgroup v1 host unless failCgroupV1 is false."""
    parsed = parse_version(version)
    if cgroup_v2 or parsed is None:
        return []
    var = "kubelift_kubernetes_version"
    fix_v2 = "boot the host with cgroup v2 (kernel parameter systemd.unified_cgroup_hierarchy=1, Linux 5.8 or later)"
    if parsed[:2] < (1, 35):
        return [problem(host, var,
                        "cgroup v1 in use: Kubernetes %s still accepts it, 1.35 and later refuse it" % version,
                        fix_v2 + " before you upgrade past 1.34", WARNING)]
    what = ("cgroup v1 in use: kubelet %s refuses to start on cgroup v1 unless its failCgroupV1 setting is false"
            % version)
    if allow_v1:
        return [problem(host, var,
                        what + " (preflight_allow_cgroup_v1 is true, so this is only a warning)",
                        "make sure the kubelet configuration sets failCgroupV1: false, or " + fix_v2, WARNING)]
    return [problem(host, var, what,
                    fix_v2 + ", or use Kubernetes 1.34; only if neither is possible, set failCgroupV1: false "
                    "in the kubelet configuration and preflight_allow_cgroup_v1: true")]


# --- names ----------------------------------------------------------------------------------------------

def is_dns_subdomain(value):
    """True for a lowercase RFC 1123 subdomain (what Kubernetes accepts as a node name)."""
    if not isinstance(value, str) or not value or len(value) > 253:
        return False
    if not _DNS_SUBDOMAIN_RE.match(value):
        return False
    return all(len(label) <= 63 for label in value.split("."))


def suggest_dns_name(value):
    """A valid node name close to ``value`` (lowercased, other characters replaced by ``-``)."""
    text = str(value).lower()
    text = re.sub(r"[^a-z0-9.-]+", "-", text)
    labels = [label.strip("-")[:63].strip("-") for label in text.split(".")]
    name = ".".join(label for label in labels if label)[:253].strip(".-")
    return name or "node-1"


def check_node_name(host, name):
    """kubelift_node_name must be a lowercase DNS-1123 subdomain."""
    if is_dns_subdomain(name):
        return []
    return [problem(host, "kubelift_node_name",
                    "%s is not a valid Kubernetes node name (lowercase letters, digits, '-' and '.', "
                    "starting and ending with a letter or digit, at most 253 characters)" % _show(name),
                    "use a name such as '%s'" % suggest_dns_name(name))]


def check_cluster_identity(cluster_name, cluster_domain):
    """A non-empty cluster name and a DNS subdomain as the cluster domain."""
    found = []
    if not isinstance(cluster_name, str) or not cluster_name.strip():
        found.append(problem(CLUSTER, "kubelift_cluster_name", "is empty", "set a name, for example kubelift"))
    if not is_dns_subdomain(cluster_domain):
        found.append(problem(CLUSTER, "kubelift_cluster_domain",
                             "%s is not a valid DNS domain" % _show(cluster_domain),
                             "use a lowercase domain such as cluster.local"))
    return found


# --- networks -------------------------------------------------------------------------------------------

def parse_cidrs(variable, value):
    """(networks, problems) for a CIDR, or an IPv4 and an IPv6 CIDR separated by a comma (dual stack)."""
    example = EXAMPLE_CIDRS.get(variable, "10.244.0.0/16")
    if not isinstance(value, str) or not value.strip():
        return [], [problem(CLUSTER, variable, "is empty", "set a CIDR, for example %s" % example)]
    networks, found = [], []
    parts = [part.strip() for part in value.split(",")]
    for part in parts:
        try:
            networks.append(ipaddress.ip_network(part, strict=True))
            continue
        except ValueError:
            pass
        try:
            loose = ipaddress.ip_network(part, strict=False)
        except ValueError:
            found.append(problem(CLUSTER, variable, "%s is not a CIDR" % _show(part),
                                 "write a network address and prefix length, for example %s" % example))
            continue
        found.append(problem(CLUSTER, variable, "%s has host bits set" % _show(part),
                             "use the network address: %s" % loose))
    versions = [network.version for network in networks]
    if len(parts) > 2 or len(set(versions)) != len(versions):
        found.append(problem(CLUSTER, variable, "%s lists more than one IPv4 or IPv6 CIDR" % _show(value),
                             "give one CIDR, or one IPv4 and one IPv6 CIDR separated by a comma (dual stack)"))
    return networks, found


def check_networks(pod_subnet, service_subnet, node_count):
    """(pod networks, service networks, problems): valid, large enough, not too large, not overlapping."""
    pods, found = parse_cidrs("kubelift_pod_subnet", pod_subnet)
    services, service_found = parse_cidrs("kubelift_service_subnet", service_subnet)
    found.extend(service_found)
    for network in pods:
        node_prefix = NODE_CIDR_PREFIX[network.version]
        if network.prefixlen > node_prefix:
            found.append(problem(CLUSTER, "kubelift_pod_subnet",
                                 "%s is smaller than the /%d each node gets from it" % (network, node_prefix),
                                 "use a pod network of /%d or larger, for example %s"
                                 % (node_prefix - 8, EXAMPLE_CIDRS["kubelift_pod_subnet"])))
        elif node_count > 2 ** (node_prefix - network.prefixlen):
            found.append(problem(CLUSTER, "kubelift_pod_subnet",
                                 "%s holds only %d per-node /%d ranges but the inventory has %d nodes"
                                 % (network, 2 ** (node_prefix - network.prefixlen), node_prefix, node_count),
                                 "use a larger pod network"))
    for network in services:
        host_bits = network.max_prefixlen - network.prefixlen
        if host_bits > SERVICE_MAX_HOST_BITS:
            found.append(problem(CLUSTER, "kubelift_service_subnet",
                                 "%s is too large: kube-apiserver accepts at most %d host bits (IPv4 /%d, IPv6 /%d)"
                                 % (network, SERVICE_MAX_HOST_BITS, 32 - SERVICE_MAX_HOST_BITS,
                                    128 - SERVICE_MAX_HOST_BITS),
                                 "use a smaller range, for example %s" % EXAMPLE_CIDRS["kubelift_service_subnet"]))
        elif network.num_addresses < SERVICE_MIN_ADDRESSES:
            found.append(problem(CLUSTER, "kubelift_service_subnet",
                                 "%s is too small: kubeadm needs its 1st address for the API server and its 10th "
                                 "for cluster DNS" % network,
                                 "use a range of at least %d addresses, for example %s"
                                 % (SERVICE_MIN_ADDRESSES, EXAMPLE_CIDRS["kubelift_service_subnet"])))
    for pod in pods:
        for service in services:
            if pod.version == service.version and pod.overlaps(service):
                found.append(problem(CLUSTER, "kubelift_pod_subnet",
                                     "pod network %s overlaps service network %s (kubelift_service_subnet)"
                                     % (pod, service),
                                     "pick two ranges that do not overlap, for example pods %s and services %s"
                                     % (EXAMPLE_CIDRS["kubelift_pod_subnet"],
                                        EXAMPLE_CIDRS["kubelift_service_subnet"])))
    return pods, services, found


def _parse_address(value):
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None


def node_address(node_ip, default_ipv4):
    """The node address kubelift uses: kubelift_node_ip when set, else the default-route IPv4 address."""
    if isinstance(node_ip, str) and node_ip.strip():
        return node_ip.strip()
    return default_ipv4 or ""


def check_node_ip(host, node_ip, default_ipv4, host_addresses, pods=(), services=()):
    """The node address must be an address of the host and lie outside the pod and service networks."""
    var = "kubelift_node_ip"
    explicit = isinstance(node_ip, str) and bool(node_ip.strip())
    if node_ip not in (None, "") and not isinstance(node_ip, str):
        return [problem(host, var, "%s is not an IP address" % _show(node_ip), "write the address as a string")]
    address_text = node_address(node_ip, default_ipv4)
    if not address_text:
        return [problem(host, var, "is empty and the host has no default IPv4 route to take the address from",
                        "set kubelift_node_ip to the address the other nodes reach this host on")]
    address = _parse_address(address_text)
    if address is None:
        return [problem(host, var, "%s is not an IP address" % _show(address_text),
                        "write an IPv4 or IPv6 address of this host, or leave it empty for the default-route address")]
    found = []
    known = [str(item) for item in (host_addresses or [])]
    if explicit and known and all(_parse_address(item) != address for item in known):
        found.append(problem(host, var,
                             "%s is not an address of this host (it has %s)" % (address, ", ".join(known)),
                             "use one of the host's addresses, or leave it empty for the default-route address"))
    source = "kubelift_node_ip" if explicit else "the default-route address"
    for label, networks in (("kubelift_pod_subnet", pods), ("kubelift_service_subnet", services)):
        for network in networks:
            if address.version == network.version and address in network:
                found.append(problem(host, label,
                                     "node address %s (%s) lies inside %s" % (address, source, network),
                                     "move %s to a range that holds no node address" % label))
    return found


# --- inventory ------------------------------------------------------------------------------------------

def check_groups(control_plane_group, worker_group, control_planes, workers, play_hosts=()):
    """Control-plane group present with an odd size, no host in both groups, play hosts in a group."""
    found = []
    cp_var = "kubelift_control_plane_group"
    if control_plane_group == worker_group:
        found.append(problem(CLUSTER, "kubelift_worker_group",
                             "is the same group as kubelift_control_plane_group (%s)" % _show(control_plane_group),
                             "use two separate inventory groups"))
        return found
    count = len(control_planes)
    if count == 0:
        found.append(problem(CLUSTER, cp_var, "group %s is empty or missing from the inventory" % _show(control_plane_group),
                             "put one or three control-plane hosts in it (an odd number)"))
    elif count == 2:
        found.append(problem(CLUSTER, cp_var,
                             "group %s has 2 hosts: etcd needs both for a quorum, so losing either stops the "
                             "cluster (3 hosts survive the loss of one)" % _show(control_plane_group),
                             "add a third control-plane host, or use one", WARNING))
    elif count % 2 == 0:
        found.append(problem(CLUSTER, cp_var,
                             "group %s has %d hosts: an even number of etcd members tolerates no more failures "
                             "than %d, and makes a split vote possible" % (_show(control_plane_group), count, count - 1),
                             "use %d or %d control-plane hosts" % (count - 1, count + 1)))
    worker_set = set(workers)
    for host in control_planes:
        if host in worker_set:
            found.append(problem(host, "kubelift_worker_group",
                                 "the host is in both %s and %s" % (_show(control_plane_group), _show(worker_group)),
                                 "keep it in one group; to run workloads on control-plane nodes, remove their "
                                 "NoSchedule taint instead"))
    if count and not workers:
        found.append(problem(CLUSTER, "kubelift_worker_group",
                             "group %s is empty or missing: workloads run only on control-plane nodes, once their "
                             "NoSchedule taint is removed" % _show(worker_group),
                             "add worker hosts, or remove the control-plane taint", WARNING))
    members = set(control_planes) | worker_set
    for host in play_hosts:
        if host not in members:
            found.append(problem(host, cp_var,
                                 "the host is in neither %s nor %s, so it will not join the cluster"
                                 % (_show(control_plane_group), _show(worker_group)),
                                 "add it to one of the groups, or leave it out of the play", WARNING))
    return found


def _split_host_port(value):
    """(host, port text) of ``host:port`` or ``[ipv6]:port``, None when there is no port."""
    if value.startswith("["):
        end = value.find("]")
        if end < 0 or value[end + 1:end + 2] != ":":
            return None
        return value[1:end], value[end + 2:]
    if value.count(":") != 1:
        return None
    host, port = value.split(":")
    return host, port


def check_control_plane_endpoint(endpoint, control_plane_count):
    """host:port, required with more than one control-plane host."""
    var = "kubelift_control_plane_endpoint"
    fix = "set it to host:port of a load balancer or VIP that forwards to port 6443 of every control-plane host"
    if not isinstance(endpoint, str) or not endpoint.strip():
        if control_plane_count > 1:
            return [problem(CLUSTER, var,
                            "is empty, but %d control-plane hosts need one address in front of their API servers"
                            % control_plane_count, fix)]
        return []
    parts = _split_host_port(endpoint.strip())
    bad = "%s is not host:port" % _show(endpoint)
    if parts is None:
        return [problem(CLUSTER, var, bad + " (no scheme, a port is required)", fix + ", for example api.example.com:6443")]
    host, port = parts
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return [problem(CLUSTER, var, bad + ": %s is not a port" % _show(port), "use a port between 1 and 65535")]
    if _parse_address(host) is None and not is_dns_subdomain(host):
        return [problem(CLUSTER, var, bad + ": %s is neither an IP address nor a lowercase DNS name" % _show(host),
                        fix + ", for example api.example.com:6443")]
    return []


def check_duplicates(records):
    """No two hosts may share a node name or a node address. ``records``: dicts with host, name, address."""
    found = []
    for key, variable, label, fix in (
            ("name", "kubelift_node_name", "node name", "give each host its own kubelift_node_name"),
            ("address", "kubelift_node_ip", "node address",
             "give each host its own address (set kubelift_node_ip where the default-route address is shared)")):
        seen = {}
        for record in records:
            value = record.get(key)
            if value in (None, ""):
                continue
            seen.setdefault(str(value), []).append(record["host"])
        for value, hosts in seen.items():
            if len(hosts) > 1:
                found.append(problem(CLUSTER, variable,
                                     "hosts %s share the %s %s" % (", ".join(hosts), label, _show(value)), fix))
    return found


def check_platform(host, os_family, distribution, architecture):
    """Debian or RedHat family, x86_64 or aarch64."""
    found = []
    if os_family not in SUPPORTED_OS_FAMILIES:
        found.append(problem(host, "ansible_os_family",
                             "the host runs %s (%s family), which kubelift does not support"
                             % (distribution or "an unknown system", os_family or "unknown"),
                             "use a Debian-family (Debian, Ubuntu) or RedHat-family (RHEL, Rocky, Alma) host"))
    if architecture not in SUPPORTED_ARCHITECTURES:
        found.append(problem(host, "ansible_architecture",
                             "the host is %s, which kubelift does not support" % (architecture or "of unknown architecture"),
                             "use an x86_64 or aarch64 host"))
    return found


def check_resources(host, memtotal_mb, min_memory_mb, cpus, min_cpus, is_control_plane):
    """Enough memory on every node and enough CPUs on control-plane nodes."""
    found = []
    minimum_memory = _as_int(min_memory_mb)
    minimum_cpus = _as_int(min_cpus)
    if minimum_memory is None:
        found.append(problem(host, "kubelift_min_memory_mb", "%s is not a number" % _show(min_memory_mb),
                             "set a number of MiB, for example 1700"))
    elif memtotal_mb is not None and int(memtotal_mb) < minimum_memory:
        found.append(problem(host, "kubelift_min_memory_mb",
                             "the host has %d MiB of memory, less than the %d MiB required"
                             % (int(memtotal_mb), minimum_memory),
                             "give the host more memory (or lower kubelift_min_memory_mb for a test cluster)"))
    if minimum_cpus is None:
        found.append(problem(host, "kubelift_min_cpus", "%s is not a number" % _show(min_cpus),
                             "set a number of CPUs, for example 2"))
    elif is_control_plane and cpus is not None and int(cpus) < minimum_cpus:
        found.append(problem(host, "kubelift_min_cpus",
                             "the control-plane host has %d CPUs, fewer than the %d required"
                             % (int(cpus), minimum_cpus),
                             "give the host more CPUs (or lower kubelift_min_cpus for a test cluster)"))
    return found


def check_choices(settings):
    """Runtime, CNI, artifact source and bundle image delivery must be known choices."""
    found = []
    for variable, allowed in CHOICES.items():
        value = settings.get(variable)
        if value not in allowed:
            found.append(problem(CLUSTER, variable, "%s is not a known choice" % _show(value),
                                 "use one of: %s" % ", ".join(allowed)))
    return found


def check_consistency(records):
    """Cluster-wide settings must be the same on every host. ``records``: dicts with host and settings;
    the first record is the reference."""
    if not records:
        return []
    reference = records[0]
    found = []
    for record in records[1:]:
        for variable in CLUSTER_SETTINGS:
            mine = record["settings"].get(variable)
            theirs = reference["settings"].get(variable)
            if mine != theirs:
                found.append(problem(record["host"], variable,
                                     "is %s here but %s on %s; it must be the same on every host"
                                     % (_show(mine), _show(theirs), reference["host"]),
                                     "set %s once, in group_vars/all" % variable))
    return found


def check_unknown_variables(host, names):
    """kubelift_* variables that are no kubelift setting (typos)."""
    found = []
    for name in sorted(names):
        if name in KNOWN_VARIABLES:
            continue
        close = difflib.get_close_matches(name, KNOWN_VARIABLES, n=1)
        fix = "rename it to %s" % close[0] if close else "remove it, or see roles/kubelift/defaults/main.yml"
        found.append(problem(host, name, "is not a kubelift setting, so nothing reads it", fix, WARNING))
    return found


# --- sources: URLs, registries, bundle ------------------------------------------------------------------

def url_problem(value):
    """Why ``value`` is not an http(s) URL with a host, or None when it is one."""
    if not isinstance(value, str) or not value.strip():
        return "is empty"
    if value != value.strip() or any(char.isspace() for char in value):
        return "%s contains spaces" % _show(value)
    try:
        parts = urlsplit(value)
        parts.port  # pylint: disable=pointless-statement  # raises ValueError for a bad port
    except ValueError:
        return "%s is not a valid URL" % _show(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "%s is not an http:// or https:// URL" % _show(value)
    return None


def check_image_repository(repository):
    """A registry host with an optional path, no scheme."""
    var = "kubelift_image_repository"
    fix = "write the registry host and path without a scheme, for example registry.k8s.io or mirror.example.cn:5000/k8s"
    if not isinstance(repository, str) or not repository.strip():
        return [problem(CLUSTER, var, "is empty", fix)]
    if "://" in repository or repository.endswith("/") or any(char.isspace() for char in repository):
        return [problem(CLUSTER, var, "%s is not a registry path" % _show(repository), fix)]
    return []


def check_registry_mirrors(host, mirrors):
    """Each item: registry (host[:port]), endpoints (http/https URLs), optional plain_http, skip_verify, ca_file."""
    var = "kubelift_registry_mirrors"
    example = "{registry: docker.io, endpoints: [https://mirror.example.cn]}"
    if mirrors in (None, ""):
        return []
    if not isinstance(mirrors, list):
        return [problem(host, var, "is %s, not a list" % type(mirrors).__name__, "write a list of items like " + example)]
    found = []
    seen = {}
    for index, item in enumerate(mirrors):
        where = "item %d" % (index + 1)
        if not isinstance(item, dict):
            found.append(problem(host, var, "%s is not a mapping" % where, "write each item like " + example))
            continue
        registry = item.get("registry")
        if registry:
            where = "item %d (%s)" % (index + 1, registry)
        unknown = sorted(set(item) - set(REGISTRY_MIRROR_KEYS))
        for key in unknown:
            close = difflib.get_close_matches(str(key), REGISTRY_MIRROR_KEYS, n=1)
            found.append(problem(host, var, "%s has an unknown key %s" % (where, _show(key)),
                                 ("rename it to %s" % close[0]) if close
                                 else "use only: %s" % ", ".join(REGISTRY_MIRROR_KEYS)))
        if not isinstance(registry, str) or not registry.strip():
            found.append(problem(host, var, "%s has no registry" % where,
                                 "name the registry the images use, for example registry: docker.io"))
        elif registry != "_default" and ("://" in registry or "/" in registry or any(c.isspace() for c in registry)):
            found.append(problem(host, var, "%s: registry %s is not a registry host" % (where, _show(registry)),
                                 "write just the host (and port), for example docker.io or registry.k8s.io"))
        else:
            seen.setdefault(registry, []).append(index + 1)
        endpoints = item.get("endpoints")
        if endpoints in (None, "", []):
            found.append(problem(host, var, "%s has no endpoints" % where,
                                 "list the mirror URLs, for example endpoints: [https://mirror.example.cn]"))
        elif not isinstance(endpoints, list):
            found.append(problem(host, var, "%s: endpoints is not a list" % where,
                                 "write endpoints as a list of URLs, for example [https://mirror.example.cn]"))
        else:
            for endpoint in endpoints:
                reason = url_problem(endpoint)
                if reason:
                    found.append(problem(host, var, "%s: endpoint %s" % (where, reason),
                                         "write each endpoint as a URL, for example https://mirror.example.cn "
                                         "or http://10.0.0.5:5000"))
        for key in ("plain_http", "skip_verify"):
            if key in item and not isinstance(item[key], bool):
                found.append(problem(host, var, "%s: %s is %s, not true or false" % (where, key, _show(item[key])),
                                     "set %s: true or false" % key))
        ca_file = item.get("ca_file")
        if ca_file not in (None, "") and (not isinstance(ca_file, str) or not ca_file.startswith("/")):
            found.append(problem(host, var, "%s: ca_file %s is not an absolute path" % (where, _show(ca_file)),
                                 "give the absolute path of the CA bundle on the node"))
    for registry, items in seen.items():
        if len(items) > 1:
            found.append(problem(host, var, "registry %s appears in items %s" % (_show(registry), ", ".join(map(str, items))),
                                 "merge them into one item with several endpoints"))
    return found


def check_mirror_url(url):
    """The package mirror must be an http(s) URL."""
    reason = url_problem(url)
    if reason is None:
        return []
    return [problem(CLUSTER, "kubelift_package_mirror_url",
                    reason + " (kubelift_artifact_source is mirror)",
                    "set the http:// or https:// base URL that replaces https://pkgs.k8s.io, for example "
                    "https://mirrors.example.cn/kubernetes")]


def _safe_relative(path):
    """True for a relative path that stays inside the bundle directory."""
    if not isinstance(path, str) or not path or path.startswith("/"):
        return False
    return not posixpath.normpath(path).startswith("..")


def _check_bundle_entry(label, entry, file_exists):
    var = "kubelift_bundle_dir"
    if not isinstance(entry, dict):
        return [problem(CLUSTER, var, "manifest.json: %s is not an object with file and sha256" % label,
                        "rebuild the bundle (hack/build-lab-bundle.sh or playbooks/bundle.yml)")]
    found = []
    path = entry.get("file")
    if not _safe_relative(path):
        found.append(problem(CLUSTER, var, "manifest.json: %s has no file inside the bundle (%s)" % (label, _show(path)),
                             "give its path relative to the bundle directory, for example bin/kubeadm"))
    elif not file_exists(posixpath.normpath(path)):
        found.append(problem(CLUSTER, var, "manifest.json: %s points to %s, which is missing" % (label, path),
                             "copy the file into the bundle, or rebuild the bundle"))
    checksum = entry.get("sha256")
    if not isinstance(checksum, str) or not checksum:
        found.append(problem(CLUSTER, var, "manifest.json: %s has no sha256" % label,
                             "add the file's sha256 (sha256sum %s), or rebuild the bundle" % (path or "<file>")))
    elif not _SHA256_RE.match(checksum.lower()):
        found.append(problem(CLUSTER, var, "manifest.json: %s has a sha256 that is not 64 hex digits" % label,
                             "write the full sha256 of the file"))
    return found


def check_bundle_manifest(manifest, version, file_exists, architectures=(), image_delivery="import"):
    """Check a parsed manifest.json against the settings; ``file_exists(relative path)`` answers for files."""
    var = "kubelift_bundle_dir"
    rebuild = "rebuild the bundle (hack/build-lab-bundle.sh or playbooks/bundle.yml)"
    if not isinstance(manifest, dict):
        return [problem(CLUSTER, var, "manifest.json is not a JSON object", rebuild)]
    found = []
    if manifest.get("format") != BUNDLE_FORMAT:
        found.append(problem(CLUSTER, var, "manifest.json has format %s, expected %d"
                             % (_show(manifest.get("format")), BUNDLE_FORMAT), rebuild))
    bundle_version = manifest.get("kubernetes_version")
    if bundle_version != version:
        found.append(problem(CLUSTER, var, "the bundle holds Kubernetes %s but kubelift_kubernetes_version is %s"
                             % (_show(bundle_version), _show(version)),
                             "use a bundle built for %s, or set kubelift_kubernetes_version to the bundle's release"
                             % version))
    bundle_arch = manifest.get("arch")
    wanted = sorted(set(SUPPORTED_ARCHITECTURES.get(arch, arch) for arch in architectures if arch))
    for arch in wanted:
        if arch != bundle_arch:
            found.append(problem(CLUSTER, var, "the bundle is for %s but the inventory has %s hosts"
                                 % (_show(bundle_arch), arch),
                                 "use a bundle built for %s (one bundle per architecture)" % arch))
    binaries = manifest.get("binaries")
    if not isinstance(binaries, dict):
        found.append(problem(CLUSTER, var, "manifest.json has no binaries object", rebuild))
        binaries = {}
    else:
        for name in BUNDLE_BINARIES:
            if name not in binaries:
                found.append(problem(CLUSTER, var, "manifest.json lists no %s binary" % name, rebuild))
    for name in sorted(binaries):
        found.extend(_check_bundle_entry("binary %s" % name, binaries[name], file_exists))
    images = manifest.get("images")
    if not isinstance(images, list):
        found.append(problem(CLUSTER, var, "manifest.json has no images list", rebuild))
        images = []
    if not images and image_delivery == "import":
        found.append(problem(CLUSTER, var, "manifest.json lists no images, but kubelift_bundle_image_delivery is import",
                             rebuild + ", or set kubelift_bundle_image_delivery: registry"))
    for index, image in enumerate(images):
        name = image.get("name") if isinstance(image, dict) else None
        if isinstance(image, dict) and not name:
            found.append(problem(CLUSTER, var, "manifest.json: image %d has no name" % (index + 1), rebuild))
        found.extend(_check_bundle_entry("image %s" % (name or index + 1), image, file_exists))
    return found


def check_bundle(bundle_dir, listing, version, architectures=(), image_delivery="import"):
    """The bundle directory on the controller: set, absolute, present, with a valid manifest.json.

    ``listing``: what the role found on the controller: ``exists`` and ``is_dir`` of the directory,
    ``files`` (paths of everything in it) and ``manifest`` (the text of manifest.json, None when absent).
    """
    var = "kubelift_bundle_dir"
    if not isinstance(bundle_dir, str) or not bundle_dir.strip():
        return [problem(CLUSTER, var, "is empty but kubelift_artifact_source is bundle",
                        "set it to the bundle directory on the controller (it holds manifest.json)")]
    if not bundle_dir.startswith("/"):
        return [problem(CLUSTER, var, "%s is not an absolute path" % _show(bundle_dir),
                        "give the absolute path of the bundle directory on the controller")]
    listing = listing or {}
    if not listing.get("exists"):
        return [problem(CLUSTER, var, "%s does not exist on the controller" % bundle_dir,
                        "build the bundle there (make bundle) or point kubelift_bundle_dir at it")]
    if not listing.get("is_dir"):
        return [problem(CLUSTER, var, "%s is not a directory" % bundle_dir,
                        "point it at the bundle directory, the one that holds manifest.json")]
    text = listing.get("manifest")
    if text is None:
        return [problem(CLUSTER, var, "%s has no manifest.json" % bundle_dir,
                        "rebuild the bundle (hack/build-lab-bundle.sh or playbooks/bundle.yml)")]
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        return [problem(CLUSTER, var, "%s/manifest.json is not valid JSON (%s)" % (bundle_dir, exc),
                        "rebuild the bundle, or repair manifest.json")]
    root = posixpath.normpath(bundle_dir)
    present = set()
    for path in listing.get("files") or []:
        relative = posixpath.relpath(posixpath.normpath(str(path)), root)
        if not relative.startswith(".."):
            present.add(relative)
    return check_bundle_manifest(manifest, version, present.__contains__, architectures, image_delivery)


def _upstream_registry_mirrored(registry, mirrors):
    if not isinstance(mirrors, list):
        return False
    return any(isinstance(item, dict) and item.get("registry") in (registry, "_default") for item in mirrors)


def check_artifact_source(settings, bundle_listing=None, architectures=(), mirrors=None):
    """Settings each artifact source needs, and hints about settings the chosen source ignores."""
    source = settings.get("kubelift_artifact_source")
    found = []
    mirror_url = settings.get("kubelift_package_mirror_url")
    bundle_dir = settings.get("kubelift_bundle_dir")
    repository = settings.get("kubelift_image_repository")
    if source == "mirror":
        found.extend(check_mirror_url(mirror_url))
    elif mirror_url:
        found.append(problem(CLUSTER, "kubelift_package_mirror_url",
                             "is set but kubelift_artifact_source is %s, so nothing uses it" % _show(source),
                             "set kubelift_artifact_source: mirror, or remove the URL", WARNING))
    if source == "bundle":
        found.extend(check_bundle(bundle_dir, bundle_listing, settings.get("kubelift_kubernetes_version"),
                                  architectures, settings.get("kubelift_bundle_image_delivery")))
    elif bundle_dir:
        found.append(problem(CLUSTER, "kubelift_bundle_dir",
                             "is set but kubelift_artifact_source is %s, so nothing uses it" % _show(source),
                             "set kubelift_artifact_source: bundle, or remove the directory", WARNING))
    pulls_images = source == "mirror" or (source == "bundle" and settings.get("kubelift_bundle_image_delivery") == "registry")
    if pulls_images and repository == "registry.k8s.io" and not _upstream_registry_mirrored("registry.k8s.io", mirrors):
        found.append(problem(CLUSTER, "kubelift_image_repository",
                             "is still registry.k8s.io and no kubelift_registry_mirrors item covers it, so nodes pull "
                             "the Kubernetes images from upstream", "point kubelift_image_repository at your registry, "
                             "or add a registry mirror for registry.k8s.io", WARNING))
    return found


# --- everything -----------------------------------------------------------------------------------------

def _uniform(records, key):
    """True when every record's settings hold the same value for ``key``."""
    values = set(json.dumps(record["settings"].get(key), sort_keys=True, default=str) for record in records)
    return len(values) <= 1


def preflight_problems(hosts, groups=None, context=None):
    """Every problem of a play.

    ``hosts``: one record per play host, the first being the reference for cluster-wide settings:
    ``{"host": name, "settings": {kubelift_* variables as the host sees them}, "facts": {os_family,
    distribution, architecture, memtotal_mb, cpus, default_ipv4, addresses, cgroup_v2}}``.
    ``groups``: the inventory groups (name -> host names). ``context``: ``supported_minors``,
    ``bundle`` (see check_bundle), ``allow_cgroup_v1``.
    Cluster problems come first, then each host's in play order.
    """
    groups = groups or {}
    context = context or {}
    if not hosts:
        return []
    reference = hosts[0]["settings"]
    found = []
    found.extend(check_consistency(hosts))
    version = reference.get("kubelift_kubernetes_version")
    found.extend(check_lab_mode(reference.get("kubelift_lab_mode")))
    found.extend(check_version(version, list(context.get("supported_minors") or [])))
    found.extend(check_choices(reference))
    found.extend(check_cluster_identity(reference.get("kubelift_cluster_name"), reference.get("kubelift_cluster_domain")))

    cp_group = reference.get("kubelift_control_plane_group")
    worker_group = reference.get("kubelift_worker_group")
    control_planes = list(groups.get(cp_group) or [])
    workers = list(groups.get(worker_group) or [])
    play_hosts = [record["host"] for record in hosts]
    found.extend(check_groups(cp_group, worker_group, control_planes, workers, play_hosts))
    found.extend(check_control_plane_endpoint(reference.get("kubelift_control_plane_endpoint"), len(control_planes)))
    node_count = len(set(control_planes) | set(workers)) or len(hosts)
    pods, services, network_problems = check_networks(reference.get("kubelift_pod_subnet"),
                                                       reference.get("kubelift_service_subnet"), node_count)
    found.extend(network_problems)
    found.extend(check_image_repository(reference.get("kubelift_image_repository")))
    architectures = [record.get("facts", {}).get("architecture") for record in hosts]
    found.extend(check_artifact_source(reference, context.get("bundle"), architectures,
                                       reference.get("kubelift_registry_mirrors")))
    mirrors_uniform = _uniform(hosts, "kubelift_registry_mirrors")
    if mirrors_uniform:
        found.extend(check_registry_mirrors(CLUSTER, reference.get("kubelift_registry_mirrors")))

    # A kubelift_* variable no host should have: once for the cluster when every host has it, else per host.
    everywhere = set.intersection(*(set(record["settings"]) for record in hosts))
    found.extend(check_unknown_variables(CLUSTER, everywhere))

    identities = []
    for record in hosts:
        host = record["host"]
        settings = record["settings"]
        facts = record.get("facts") or {}
        found.extend(check_unknown_variables(host, set(settings) - everywhere))
        found.extend(check_platform(host, facts.get("os_family"), facts.get("distribution"), facts.get("architecture")))
        found.extend(check_resources(host, facts.get("memtotal_mb"), settings.get("kubelift_min_memory_mb"),
                                     facts.get("cpus"), settings.get("kubelift_min_cpus"), host in control_planes))
        found.extend(check_cgroup(host, facts.get("cgroup_v2"), version, context.get("allow_cgroup_v1", False)))
        name = settings.get("kubelift_node_name")
        found.extend(check_node_name(host, name))
        node_ip = settings.get("kubelift_node_ip")
        found.extend(check_node_ip(host, node_ip, facts.get("default_ipv4"), facts.get("addresses"), pods, services))
        if not mirrors_uniform:
            found.extend(check_registry_mirrors(host, settings.get("kubelift_registry_mirrors")))
        address = _parse_address(node_address(node_ip if isinstance(node_ip, str) else "", facts.get("default_ipv4")))
        identities.append({"host": host, "name": name, "address": str(address) if address else None})
    found.extend(check_duplicates(identities))

    order = dict((name, index + 1) for index, name in enumerate(play_hosts))
    return sorted(found, key=lambda item: order.get(item["host"], 0))


def problem_lines(problems, level=ERROR):
    """The formatted lines of the problems of one level.

    The same problem on several hosts (cgroup v1 everywhere, say) becomes one line that names them all
    (``cp1, cp2: ...``), placed where the first of them was.
    """
    merged = []
    by_text = {}
    for item in problems:
        if item["level"] != level:
            continue
        key = (item["variable"], item["problem"], item["fix"])
        if item["host"] != CLUSTER and key in by_text:
            by_text[key]["hosts"].append(item["host"])
            continue
        entry = {"item": item, "hosts": [item["host"]]}
        merged.append(entry)
        if item["host"] != CLUSTER:
            by_text[key] = entry
    return [format_problem(dict(entry["item"], host=", ".join(entry["hosts"]))) for entry in merged]
