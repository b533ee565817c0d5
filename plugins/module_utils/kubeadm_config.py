# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render kubeadm configuration documents from one structured, version-independent spec.

The kubeadm configuration API changed twice in the versions kubelift deals with:

* ``kubeadm.k8s.io/v1beta2`` (kubeadm 1.15-1.21 here): no ``skipPhases``, no ``imagePullPolicy``,
  extra arguments are ``name: value`` maps, ``apiServer.timeoutForControlPlane`` and
  ``discovery.timeout`` carry the timeouts.
* ``kubeadm.k8s.io/v1beta3`` (1.22-1.30): adds ``skipPhases`` and ``nodeRegistration.imagePullPolicy``
  to Init/JoinConfiguration; extra arguments are still maps.
* ``kubeadm.k8s.io/v1beta4`` (1.31+): extra arguments become lists of ``{name, value}`` (duplicates
  allowed), the timeouts move to ``InitConfiguration.timeouts`` / ``JoinConfiguration.timeouts``
  (``controlPlaneComponentHealthCheck``, ``discovery``, ``tlsBootstrap``), ``timeoutForControlPlane``
  and ``discovery.timeout`` are gone.

KubeletConfiguration (``kubelet.config.k8s.io/v1beta1``) learnt ``failCgroupV1`` in 1.31; it is only
written for kubelets that know it. KubeProxyConfiguration stays ``kubeproxy.config.k8s.io/v1alpha1``.

Everything here is a plain function; errors raise ``KubeadmConfigError`` with a message that names the
offending key.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None

KIND_INIT = "init"
KIND_JOIN = "join"
KIND_CLUSTER = "cluster"
KINDS = (KIND_INIT, KIND_JOIN, KIND_CLUSTER)

DEFAULT_CRI_SOCKET = "unix:///run/containerd/containerd.sock"
KUBELET_API_VERSION = "kubelet.config.k8s.io/v1beta1"
KUBE_PROXY_API_VERSION = "kubeproxy.config.k8s.io/v1alpha1"

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")
_TOKEN_RE = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
_CA_HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_CERT_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_PROXY_MODES = ("", "iptables", "ipvs", "nftables")
_CGROUP_DRIVERS = ("systemd", "cgroupfs")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

# Every key the spec accepts, with the type it must have (None = any scalar).
_SPEC_KEYS = {
    "kubernetes_version": str,
    "kubeadm_version": str,
    "node_name": str,
    "node_ip": str,
    "cri_socket": str,
    "kubelet_extra_args": (dict, list),
    "taints": (list, type(None)),
    "ignore_preflight_errors": list,
    "image_pull_policy": str,
    "advertise_address": str,
    "bind_port": int,
    "certificate_key": str,
    "skip_phases": list,
    "cluster_name": str,
    "control_plane_endpoint": str,
    "image_repository": str,
    "pod_subnet": str,
    "service_subnet": str,
    "dns_domain": str,
    "apiserver_cert_sans": list,
    "apiserver_extra_args": (dict, list),
    "controller_manager_extra_args": (dict, list),
    "scheduler_extra_args": (dict, list),
    "etcd_extra_args": (dict, list),
    "etcd_data_dir": str,
    "feature_gates": dict,
    "timeouts": dict,
    "kubelet": dict,
    "kube_proxy": dict,
    "join": dict,
}
_TIMEOUT_KEYS = ("control_plane", "discovery", "tls_bootstrap")
_KUBELET_KEYS = ("cgroup_driver", "fail_swap_on", "fail_cgroup_v1", "settings")
_KUBE_PROXY_KEYS = ("mode", "conntrack_max_per_core", "settings")
_JOIN_KEYS = ("api_server_endpoint", "token", "ca_cert_hashes", "unsafe_skip_ca_verification",
              "control_plane", "certificate_key")


class KubeadmConfigError(ValueError):
    """The spec cannot be turned into a kubeadm configuration."""


def parse_version(version):
    """Return (major, minor, patch) of 'x.y[.z]' with an optional leading 'v' and pre-release suffix."""
    match = _VERSION_RE.match(str(version).strip()) if version is not None else None
    if not match:
        raise KubeadmConfigError(
            "kubeadm_config: version %r is not x.y.z (for example 1.36.2 or v1.20.2)" % (version,))
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def kubeadm_api_version(version):
    """The kubeadm.k8s.io API version a given kubeadm release should be fed."""
    major, minor, _patch = parse_version(version)
    if major != 1 or minor < 15:
        raise KubeadmConfigError(
            "kubeadm_config: kubeadm %s is not supported (kubeadm.k8s.io/v1beta2 needs 1.15 or newer)" % version)
    if minor <= 21:
        return "kubeadm.k8s.io/v1beta2"
    if minor <= 30:
        return "kubeadm.k8s.io/v1beta3"
    return "kubeadm.k8s.io/v1beta4"


def kubeadm_features(version):
    """What the configuration API of this kubeadm release can express."""
    api = kubeadm_api_version(version)
    minor = parse_version(version)[1]
    return {
        "api_version": api,
        # extraArgs / kubeletExtraArgs: map before v1beta4, list of {name, value} from v1beta4 on.
        "extra_args_list": api == "kubeadm.k8s.io/v1beta4",
        # Init/JoinConfiguration.skipPhases and nodeRegistration.imagePullPolicy: v1beta3+.
        "skip_phases": api != "kubeadm.k8s.io/v1beta2",
        "image_pull_policy": api != "kubeadm.k8s.io/v1beta2",
        # v1beta4 moved the timeouts into Init/JoinConfiguration.timeouts.
        "timeouts_struct": api == "kubeadm.k8s.io/v1beta4",
        # KubeletConfiguration.failCgroupV1 exists from kubelet 1.31 on.
        "fail_cgroup_v1": minor >= 31,
        # `kubeadm config validate` exists from kubeadm 1.28 on (kubernetes/kubernetes#118013).
        "config_validate": minor >= 28,
    }


def _arg_value(name, value, where):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise KubeadmConfigError(
        "kubeadm_config: %s.%s must be a string, number or boolean, got %s" % (where, name, type(value).__name__))


def _normalize_args(args, where):
    """Turn a {name: value} map or a [{name, value}] list into an ordered list of (name, value)."""
    if args is None:
        return []
    pairs = []
    if isinstance(args, dict):
        for name in args:
            pairs.append((str(name), _arg_value(name, args[name], where)))
    elif isinstance(args, list):
        for index, item in enumerate(args):
            if not isinstance(item, dict) or set(item) != {"name", "value"}:
                raise KubeadmConfigError(
                    "kubeadm_config: %s[%d] must be a mapping with exactly the keys name and value" % (where, index))
            pairs.append((str(item["name"]), _arg_value(item["name"], item["value"], where)))
    else:
        raise KubeadmConfigError("kubeadm_config: %s must be a mapping or a list of {name, value}" % where)
    for name, _value in pairs:
        if not name or name.startswith("-"):
            raise KubeadmConfigError(
                "kubeadm_config: %s has the argument name %r; give flag names without leading dashes" % (where, name))
    return pairs


def _render_args(pairs, features, where):
    """Render normalized extra arguments in the shape this API version wants (None when empty)."""
    if not pairs:
        return None
    if features["extra_args_list"]:
        return [{"name": name, "value": value} for name, value in pairs]
    rendered = {}
    for name, value in pairs:
        if name in rendered:
            raise KubeadmConfigError(
                "kubeadm_config: %s sets %s twice; %s takes a map, duplicates need kubeadm 1.31+ (v1beta4)"
                % (where, name, features["api_version"]))
        rendered[name] = value
    return rendered


def _plain(value):
    """Copy of value with builtin types only (Ansible 2.19 hands filters tagged str/dict/list subclasses,
    which PyYAML's safe dumper refuses to represent)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return dict((_plain(key), _plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _check_spec(spec):
    if not isinstance(spec, dict):
        raise KubeadmConfigError("kubeadm_config: the spec must be a mapping, got %s" % type(spec).__name__)
    unknown = sorted(set(spec) - set(_SPEC_KEYS))
    if unknown:
        raise KubeadmConfigError(
            "kubeadm_config: unknown key(s) %s; known keys are %s" % (", ".join(unknown), ", ".join(sorted(_SPEC_KEYS))))
    for key, wanted in _SPEC_KEYS.items():
        if key in spec and spec[key] is not None and not isinstance(spec[key], wanted):
            if wanted is int and isinstance(spec[key], str) and spec[key].isdigit():
                continue
            raise KubeadmConfigError("kubeadm_config: %s has the wrong type (%s)" % (key, type(spec[key]).__name__))
    for key, allowed in (("timeouts", _TIMEOUT_KEYS), ("kubelet", _KUBELET_KEYS),
                         ("kube_proxy", _KUBE_PROXY_KEYS), ("join", _JOIN_KEYS)):
        extra = sorted(set(spec.get(key) or {}) - set(allowed))
        if extra:
            raise KubeadmConfigError(
                "kubeadm_config: unknown key(s) %s under %s; known: %s" % (", ".join(extra), key, ", ".join(allowed)))
    if not spec.get("kubernetes_version"):
        raise KubeadmConfigError("kubeadm_config: kubernetes_version is required (x.y.z)")


def _get(spec, key, default=None):
    value = spec.get(key)
    return default if value is None or value == "" else value


def _taints(spec):
    taints = spec.get("taints")
    if taints is None:
        return None
    rendered = []
    for index, taint in enumerate(taints):
        if not isinstance(taint, dict) or not taint.get("key") or taint.get("effect") not in _TAINT_EFFECTS:
            raise KubeadmConfigError(
                "kubeadm_config: taints[%d] needs a key and an effect out of %s" % (index, ", ".join(_TAINT_EFFECTS)))
        item = {"key": str(taint["key"])}
        if taint.get("value") not in (None, ""):
            item["value"] = str(taint["value"])
        item["effect"] = taint["effect"]
        rendered.append(item)
    return rendered


def _node_registration(spec, features):
    registration = {}
    if _get(spec, "node_name"):
        registration["name"] = spec["node_name"]
    registration["criSocket"] = _get(spec, "cri_socket", DEFAULT_CRI_SOCKET)
    taints = _taints(spec)
    if taints is not None:
        registration["taints"] = taints
    pairs = _normalize_args(spec.get("kubelet_extra_args"), "kubelet_extra_args")
    if _get(spec, "node_ip") and "node-ip" not in [name for name, _value in pairs]:
        pairs.insert(0, ("node-ip", spec["node_ip"]))
    args = _render_args(pairs, features, "kubelet_extra_args")
    if args is not None:
        registration["kubeletExtraArgs"] = args
    if spec.get("ignore_preflight_errors"):
        registration["ignorePreflightErrors"] = [str(item) for item in spec["ignore_preflight_errors"]]
    policy = _get(spec, "image_pull_policy")
    if policy is not None:
        if policy not in _PULL_POLICIES:
            raise KubeadmConfigError(
                "kubeadm_config: image_pull_policy must be one of %s, got %r" % (", ".join(_PULL_POLICIES), policy))
        if features["image_pull_policy"]:
            registration["imagePullPolicy"] = policy
    return registration


def _api_endpoint(spec):
    endpoint = {}
    if _get(spec, "advertise_address"):
        endpoint["advertiseAddress"] = spec["advertise_address"]
    port = _get(spec, "bind_port")
    if port is not None:
        port = int(port)
        if not 0 < port < 65536:
            raise KubeadmConfigError("kubeadm_config: bind_port %d is not a TCP port" % port)
        endpoint["bindPort"] = port
    return endpoint


def _certificate_key(value, where):
    if value in (None, ""):
        return None
    if not _CERT_KEY_RE.match(value):
        raise KubeadmConfigError(
            "kubeadm_config: %s must be 64 lowercase hex characters (`kubeadm certs certificate-key` prints one)"
            % where)
    return value


def _skip_phases(spec, features, document):
    phases = [str(phase) for phase in spec.get("skip_phases") or []]
    if phases and features["skip_phases"]:
        document["skipPhases"] = phases


def _timeouts(spec, names):
    """The v1beta4 timeouts block: names maps spec timeout keys to v1beta4 field names."""
    timeouts = spec.get("timeouts") or {}
    block = {}
    for key, field in names:
        if timeouts.get(key):
            block[field] = str(timeouts[key])
    return block


def _init_configuration(spec, features):
    document = {"apiVersion": features["api_version"], "kind": "InitConfiguration"}
    document["nodeRegistration"] = _node_registration(spec, features)
    endpoint = _api_endpoint(spec)
    if endpoint:
        document["localAPIEndpoint"] = endpoint
    key = _certificate_key(spec.get("certificate_key"), "certificate_key")
    if key:
        document["certificateKey"] = key
    _skip_phases(spec, features, document)
    if features["timeouts_struct"]:
        block = _timeouts(spec, (("control_plane", "controlPlaneComponentHealthCheck"),))
        if block:
            document["timeouts"] = block
    return document


def _control_plane_component(spec, key, features):
    args = _render_args(_normalize_args(spec.get(key), key), features, key)
    return {"extraArgs": args} if args is not None else None


def _cluster_configuration(spec, features):
    version = parse_version(spec["kubernetes_version"])
    document = {"apiVersion": features["api_version"], "kind": "ClusterConfiguration"}
    document["kubernetesVersion"] = "v%d.%d.%d" % version
    if _get(spec, "cluster_name"):
        document["clusterName"] = spec["cluster_name"]
    if _get(spec, "control_plane_endpoint"):
        document["controlPlaneEndpoint"] = spec["control_plane_endpoint"]
    if _get(spec, "image_repository"):
        document["imageRepository"] = spec["image_repository"]
    networking = {}
    for key, field in (("pod_subnet", "podSubnet"), ("service_subnet", "serviceSubnet"), ("dns_domain", "dnsDomain")):
        if _get(spec, key):
            networking[field] = spec[key]
    if networking:
        document["networking"] = networking
    api_server = _control_plane_component(spec, "apiserver_extra_args", features) or {}
    if spec.get("apiserver_cert_sans"):
        api_server["certSANs"] = [str(san) for san in spec["apiserver_cert_sans"]]
    if not features["timeouts_struct"] and (spec.get("timeouts") or {}).get("control_plane"):
        api_server["timeoutForControlPlane"] = str(spec["timeouts"]["control_plane"])
    if api_server:
        document["apiServer"] = api_server
    for key, field in (("controller_manager_extra_args", "controllerManager"), ("scheduler_extra_args", "scheduler")):
        component = _control_plane_component(spec, key, features)
        if component:
            document[field] = component
    local = {"dataDir": _get(spec, "etcd_data_dir", "/var/lib/etcd")}
    etcd_args = _render_args(_normalize_args(spec.get("etcd_extra_args"), "etcd_extra_args"), features, "etcd_extra_args")
    if etcd_args is not None:
        local["extraArgs"] = etcd_args
    document["etcd"] = {"local": local}
    if spec.get("feature_gates"):
        document["featureGates"] = dict((str(name), bool(value)) for name, value in spec["feature_gates"].items())
    return document


def _deep_merge(base, override):
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _kubelet_configuration(spec, features):
    kubelet = spec.get("kubelet") or {}
    document = {"apiVersion": KUBELET_API_VERSION, "kind": "KubeletConfiguration"}
    driver = kubelet.get("cgroup_driver") or "systemd"
    if driver not in _CGROUP_DRIVERS:
        raise KubeadmConfigError(
            "kubeadm_config: kubelet.cgroup_driver must be one of %s, got %r" % (", ".join(_CGROUP_DRIVERS), driver))
    document["cgroupDriver"] = driver
    if kubelet.get("fail_swap_on") is not None:
        document["failSwapOn"] = bool(kubelet["fail_swap_on"])
    if kubelet.get("fail_cgroup_v1") is not None and features["fail_cgroup_v1"]:
        document["failCgroupV1"] = bool(kubelet["fail_cgroup_v1"])
    if kubelet.get("settings"):
        document = _deep_merge(document, kubelet["settings"])
    return document


def _kube_proxy_configuration(spec):
    proxy = spec.get("kube_proxy") or {}
    document = {"apiVersion": KUBE_PROXY_API_VERSION, "kind": "KubeProxyConfiguration"}
    mode = proxy.get("mode")
    if mode is not None:
        if mode not in _PROXY_MODES:
            raise KubeadmConfigError(
                "kubeadm_config: kube_proxy.mode must be one of %s, got %r" % (", ".join(repr(m) for m in _PROXY_MODES), mode))
        document["mode"] = mode
    if proxy.get("conntrack_max_per_core") is not None:
        value = int(proxy["conntrack_max_per_core"])
        if value < 0:
            raise KubeadmConfigError("kubeadm_config: kube_proxy.conntrack_max_per_core must be 0 or more")
        document["conntrack"] = {"maxPerCore": value}
    if proxy.get("settings"):
        document = _deep_merge(document, proxy["settings"])
    return document


def _join_configuration(spec, features):
    join = spec.get("join") or {}
    endpoint = join.get("api_server_endpoint")
    token = join.get("token")
    if not endpoint:
        raise KubeadmConfigError("kubeadm_config: join.api_server_endpoint (host:port of the API) is required to join")
    if not token or not _TOKEN_RE.match(str(token)):
        raise KubeadmConfigError(
            "kubeadm_config: join.token must be a bootstrap token [a-z0-9]{6}.[a-z0-9]{16} "
            "(the kubelift.cluster.kubeadm_token module returns one)")
    hashes = [str(item) for item in join.get("ca_cert_hashes") or []]
    for item in hashes:
        if not _CA_HASH_RE.match(item):
            raise KubeadmConfigError(
                "kubeadm_config: join.ca_cert_hashes entries must look like sha256:<64 hex>, got %r" % item)
    unsafe = bool(join.get("unsafe_skip_ca_verification"))
    if not hashes and not unsafe:
        raise KubeadmConfigError(
            "kubeadm_config: join.ca_cert_hashes is empty; pin the cluster CA (sha256:<hex>) "
            "or set join.unsafe_skip_ca_verification explicitly")
    bootstrap = {"token": token, "apiServerEndpoint": endpoint}
    if hashes:
        bootstrap["caCertHashes"] = hashes
    if unsafe:
        bootstrap["unsafeSkipCAVerification"] = True
    discovery = {"bootstrapToken": bootstrap, "tlsBootstrapToken": token}
    timeouts = spec.get("timeouts") or {}
    if not features["timeouts_struct"] and timeouts.get("discovery"):
        discovery["timeout"] = str(timeouts["discovery"])

    document = {"apiVersion": features["api_version"], "kind": "JoinConfiguration"}
    document["nodeRegistration"] = _node_registration(spec, features)
    document["discovery"] = discovery
    if join.get("control_plane"):
        control_plane = {}
        endpoint_block = _api_endpoint(spec)
        if endpoint_block:
            control_plane["localAPIEndpoint"] = endpoint_block
        key = _certificate_key(join.get("certificate_key"), "join.certificate_key")
        if key:
            control_plane["certificateKey"] = key
        document["controlPlane"] = control_plane
    elif join.get("certificate_key"):
        raise KubeadmConfigError("kubeadm_config: join.certificate_key only applies with join.control_plane: true")
    _skip_phases(spec, features, document)
    if features["timeouts_struct"]:
        block = _timeouts(spec, (("control_plane", "controlPlaneComponentHealthCheck"),
                                 ("discovery", "discovery"), ("tls_bootstrap", "tlsBootstrap")))
        if block:
            document["timeouts"] = block
    return document


def kubeadm_config_documents(spec, kind=KIND_INIT):
    """Return the list of kubeadm configuration documents (dicts) for `kubeadm init` or `kubeadm join`.

    kind=init    -> InitConfiguration, ClusterConfiguration, KubeletConfiguration, KubeProxyConfiguration
    kind=join    -> JoinConfiguration (kubeadm join takes kubelet/kube-proxy settings from the cluster)
    kind=cluster -> ClusterConfiguration only (e.g. for `kubeadm config images list --config`)
    """
    if kind not in KINDS:
        raise KubeadmConfigError("kubeadm_config: kind must be one of %s, got %r" % (", ".join(KINDS), kind))
    _check_spec(spec)
    spec = _plain(spec)
    features = kubeadm_features(_get(spec, "kubeadm_version", spec["kubernetes_version"]))
    if kind == KIND_CLUSTER:
        return [_cluster_configuration(spec, features)]
    if kind == KIND_JOIN:
        return [_join_configuration(spec, features)]
    return [
        _init_configuration(spec, features),
        _cluster_configuration(spec, features),
        _kubelet_configuration(spec, features),
        _kube_proxy_configuration(spec),
    ]


def kubeadm_config_yaml(spec, kind=KIND_INIT):
    """The same documents as one multi-document YAML string, separated by --- lines.

    No --- before the first document: kubeadm splits files at --- and rejects a leading chunk that holds
    only comments (such as an ansible_managed header) with "kind and apiVersion is mandatory".
    """
    if yaml is None:  # pragma: no cover
        raise KubeadmConfigError("kubeadm_config: PyYAML is required to render YAML")
    documents = kubeadm_config_documents(spec, kind)
    return yaml.safe_dump_all(documents, explicit_start=False, default_flow_style=False, sort_keys=False)
