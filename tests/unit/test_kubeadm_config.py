"""kubeadm configuration rendering: every field mapping, for v1beta2, v1beta3 and v1beta4."""

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.filter.kubeadm import FilterModule
from ansible_collections.kubelift.cluster.plugins.module_utils.kubeadm_config import (
    KubeadmConfigError,
    kubeadm_api_version,
    kubeadm_config_documents,
    kubeadm_config_yaml,
    kubeadm_features,
    parse_version,
)

V1BETA2 = "kubeadm.k8s.io/v1beta2"
V1BETA3 = "kubeadm.k8s.io/v1beta3"
V1BETA4 = "kubeadm.k8s.io/v1beta4"
VERSIONS = {"1.20.2": V1BETA2, "1.26.5": V1BETA3, "1.36.2": V1BETA4}

TOKEN = "abcdef.0123456789abcdef"
CA_HASH = "sha256:" + "0f" * 32
CERT_KEY = "e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204"


def full_spec(version, **overrides):
    spec = {
        "kubernetes_version": version,
        "node_name": "cp-1",
        "node_ip": "192.0.2.10",
        "cri_socket": "unix:///run/containerd/containerd.sock",
        "kubelet_extra_args": {"max-pods": 200},
        "advertise_address": "192.0.2.10",
        "bind_port": 6443,
        "certificate_key": CERT_KEY,
        "skip_phases": ["preflight"],
        "cluster_name": "lab",
        "control_plane_endpoint": "192.0.2.100:6443",
        "image_repository": "registry.example:5000",
        "pod_subnet": "10.244.0.0/16",
        "service_subnet": "10.96.0.0/12",
        "dns_domain": "cluster.local",
        "apiserver_cert_sans": ["192.0.2.100", "api.example"],
        "apiserver_extra_args": {"audit-log-maxage": 7, "anonymous-auth": False},
        "controller_manager_extra_args": {"node-cidr-mask-size": "24"},
        "scheduler_extra_args": {"bind-address": "0.0.0.0"},
        "etcd_extra_args": {"heartbeat-interval": 250},
        "timeouts": {"control_plane": "5m0s", "discovery": "6m0s", "tls_bootstrap": "7m0s"},
        "kubelet": {"cgroup_driver": "systemd", "fail_swap_on": False, "fail_cgroup_v1": False},
        "kube_proxy": {"mode": "iptables", "conntrack_max_per_core": 0},
        "join": {"api_server_endpoint": "192.0.2.100:6443", "token": TOKEN, "ca_cert_hashes": [CA_HASH]},
    }
    spec.update(overrides)
    return spec


def by_kind(documents):
    return {doc["kind"]: doc for doc in documents}


def init_docs(version, **overrides):
    return by_kind(kubeadm_config_documents(full_spec(version, **overrides), "init"))


def join_doc(version, **overrides):
    (doc,) = kubeadm_config_documents(full_spec(version, **overrides), "join")
    return doc


# --- API version selection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "version, api",
    [
        ("1.15.0", V1BETA2),
        ("1.20.2", V1BETA2),
        ("v1.21.14", V1BETA2),
        ("1.22.0", V1BETA3),
        ("1.30.9", V1BETA3),
        ("1.31.0", V1BETA4),
        ("1.31.0-rc.1", V1BETA4),
        ("1.37.1", V1BETA4),
    ],
)
def test_api_version_boundaries(version, api):
    assert kubeadm_api_version(version) == api


@pytest.mark.parametrize("version", ["1.14.10", "2.0.0", "latest", "", None, "1"])
def test_unsupported_or_malformed_versions_fail(version):
    with pytest.raises(KubeadmConfigError):
        kubeadm_api_version(version)


def test_parse_version_accepts_prefix_and_suffix():
    assert parse_version("v1.20.2") == (1, 20, 2)
    assert parse_version("1.31") == (1, 31, 0)
    assert parse_version("1.36.2+k3s1") == (1, 36, 2)


@pytest.mark.parametrize(
    "version, expected",
    [
        ("1.21.0", {"skip_phases": False, "image_pull_policy": False, "extra_args_list": False,
                    "timeouts_struct": False, "fail_cgroup_v1": False, "config_validate": False}),
        ("1.22.0", {"skip_phases": True, "image_pull_policy": True, "extra_args_list": False,
                    "timeouts_struct": False, "fail_cgroup_v1": False, "config_validate": False}),
        ("1.27.9", {"config_validate": False}),
        ("1.28.0", {"config_validate": True}),
        ("1.30.0", {"extra_args_list": False, "timeouts_struct": False, "fail_cgroup_v1": False}),
        ("1.31.0", {"skip_phases": True, "extra_args_list": True, "timeouts_struct": True,
                    "fail_cgroup_v1": True, "config_validate": True}),
    ],
)
def test_feature_boundaries(version, expected):
    features = kubeadm_features(version)
    for key, value in expected.items():
        assert features[key] is value, f"{version}: {key}"


@pytest.mark.parametrize("version, api", list(VERSIONS.items()))
def test_init_renders_four_documents_with_their_api_versions(version, api):
    documents = kubeadm_config_documents(full_spec(version), "init")
    assert [(d["apiVersion"], d["kind"]) for d in documents] == [
        (api, "InitConfiguration"),
        (api, "ClusterConfiguration"),
        ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
        ("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration"),
    ]


def test_kubeadm_version_picks_the_api_not_the_cluster_version():
    docs = init_docs("1.30.4", kubeadm_version="1.31.0")
    assert docs["InitConfiguration"]["apiVersion"] == V1BETA4
    assert docs["ClusterConfiguration"]["kubernetesVersion"] == "v1.30.4"


def test_cluster_kind_renders_only_the_cluster_configuration():
    documents = kubeadm_config_documents(full_spec("1.36.2"), "cluster")
    assert [d["kind"] for d in documents] == ["ClusterConfiguration"]


def test_unknown_kind_fails():
    with pytest.raises(KubeadmConfigError, match="kind must be one of"):
        kubeadm_config_documents(full_spec("1.36.2"), "reset")


# --- InitConfiguration -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_init_node_registration_and_endpoint(version):
    init = init_docs(version)["InitConfiguration"]
    registration = init["nodeRegistration"]
    assert registration["name"] == "cp-1"
    assert registration["criSocket"] == "unix:///run/containerd/containerd.sock"
    assert "taints" not in registration  # None: kubeadm applies its control-plane taint
    assert init["localAPIEndpoint"] == {"advertiseAddress": "192.0.2.10", "bindPort": 6443}
    assert init["certificateKey"] == CERT_KEY


def test_cri_socket_defaults_to_containerd():
    init = init_docs("1.36.2", cri_socket="")["InitConfiguration"]
    assert init["nodeRegistration"]["criSocket"] == "unix:///run/containerd/containerd.sock"


def test_kubelet_extra_args_are_a_map_before_v1beta4():
    for version in ("1.20.2", "1.26.5"):
        registration = init_docs(version)["InitConfiguration"]["nodeRegistration"]
        assert registration["kubeletExtraArgs"] == {"node-ip": "192.0.2.10", "max-pods": "200"}


def test_kubelet_extra_args_are_a_list_from_v1beta4():
    registration = init_docs("1.31.0")["InitConfiguration"]["nodeRegistration"]
    assert registration["kubeletExtraArgs"] == [
        {"name": "node-ip", "value": "192.0.2.10"},
        {"name": "max-pods", "value": "200"},
    ]


def test_explicit_node_ip_argument_wins_over_node_ip():
    registration = init_docs("1.26.5", kubelet_extra_args={"node-ip": "198.51.100.1"})["InitConfiguration"][
        "nodeRegistration"]
    assert registration["kubeletExtraArgs"] == {"node-ip": "198.51.100.1"}


def test_no_kubelet_extra_args_without_node_ip():
    registration = init_docs("1.36.2", node_ip="", kubelet_extra_args={})["InitConfiguration"]["nodeRegistration"]
    assert "kubeletExtraArgs" not in registration


def test_empty_taints_untaint_the_control_plane():
    registration = init_docs("1.20.2", taints=[])["InitConfiguration"]["nodeRegistration"]
    assert registration["taints"] == []


def test_taints_are_rendered():
    taints = [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}, {"key": "x", "effect": "NoExecute"}]
    registration = init_docs("1.36.2", taints=taints)["InitConfiguration"]["nodeRegistration"]
    assert registration["taints"] == [
        {"key": "dedicated", "value": "infra", "effect": "NoSchedule"},
        {"key": "x", "effect": "NoExecute"},
    ]


def test_bad_taint_fails():
    with pytest.raises(KubeadmConfigError, match=r"taints\[0\]"):
        init_docs("1.36.2", taints=[{"key": "x", "effect": "Sometimes"}])


def test_skip_phases_only_where_the_api_has_the_field():
    assert "skipPhases" not in init_docs("1.21.0")["InitConfiguration"]
    assert init_docs("1.22.0")["InitConfiguration"]["skipPhases"] == ["preflight"]
    assert init_docs("1.31.0")["InitConfiguration"]["skipPhases"] == ["preflight"]
    assert "skipPhases" not in init_docs("1.31.0", skip_phases=[])["InitConfiguration"]


def test_image_pull_policy_only_where_the_api_has_the_field():
    assert "imagePullPolicy" not in init_docs("1.20.2", image_pull_policy="Never")["InitConfiguration"][
        "nodeRegistration"]
    registration = init_docs("1.22.0", image_pull_policy="Never")["InitConfiguration"]["nodeRegistration"]
    assert registration["imagePullPolicy"] == "Never"
    with pytest.raises(KubeadmConfigError, match="image_pull_policy"):
        init_docs("1.22.0", image_pull_policy="Sometimes")


def test_certificate_key_is_optional_and_checked():
    assert "certificateKey" not in init_docs("1.36.2", certificate_key="")["InitConfiguration"]
    with pytest.raises(KubeadmConfigError, match="64 lowercase hex"):
        init_docs("1.36.2", certificate_key="not-hex")


def test_bad_bind_port_fails():
    with pytest.raises(KubeadmConfigError, match="bind_port"):
        init_docs("1.36.2", bind_port=70000)


# --- ClusterConfiguration ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_cluster_configuration_fields(version):
    cluster = init_docs(version)["ClusterConfiguration"]
    assert cluster["kubernetesVersion"] == "v" + version
    assert cluster["clusterName"] == "lab"
    assert cluster["controlPlaneEndpoint"] == "192.0.2.100:6443"
    assert cluster["imageRepository"] == "registry.example:5000"
    assert cluster["networking"] == {
        "podSubnet": "10.244.0.0/16", "serviceSubnet": "10.96.0.0/12", "dnsDomain": "cluster.local"}
    assert cluster["apiServer"]["certSANs"] == ["192.0.2.100", "api.example"]
    assert cluster["etcd"]["local"]["dataDir"] == "/var/lib/etcd"


@pytest.mark.parametrize("version", ["1.20.2", "1.21.0", "1.22.0", "1.30.9"])
def test_component_extra_args_are_maps_before_v1beta4(version):
    cluster = init_docs(version)["ClusterConfiguration"]
    assert cluster["apiServer"]["extraArgs"] == {"audit-log-maxage": "7", "anonymous-auth": "false"}
    assert cluster["controllerManager"]["extraArgs"] == {"node-cidr-mask-size": "24"}
    assert cluster["scheduler"]["extraArgs"] == {"bind-address": "0.0.0.0"}
    assert cluster["etcd"]["local"]["extraArgs"] == {"heartbeat-interval": "250"}


@pytest.mark.parametrize("version", ["1.31.0", "1.36.2"])
def test_component_extra_args_are_lists_from_v1beta4(version):
    cluster = init_docs(version)["ClusterConfiguration"]
    assert cluster["apiServer"]["extraArgs"] == [
        {"name": "audit-log-maxage", "value": "7"}, {"name": "anonymous-auth", "value": "false"}]
    assert cluster["controllerManager"]["extraArgs"] == [{"name": "node-cidr-mask-size", "value": "24"}]
    assert cluster["scheduler"]["extraArgs"] == [{"name": "bind-address", "value": "0.0.0.0"}]
    assert cluster["etcd"]["local"]["extraArgs"] == [{"name": "heartbeat-interval", "value": "250"}]


def test_list_form_extra_args_keep_duplicates_in_v1beta4():
    args = [{"name": "tls-cipher-suites", "value": "A"}, {"name": "tls-cipher-suites", "value": "B"}]
    cluster = init_docs("1.31.0", apiserver_extra_args=args)["ClusterConfiguration"]
    assert cluster["apiServer"]["extraArgs"] == args


def test_list_form_extra_args_become_a_map_before_v1beta4():
    args = [{"name": "v", "value": 4}]
    cluster = init_docs("1.26.5", apiserver_extra_args=args)["ClusterConfiguration"]
    assert cluster["apiServer"]["extraArgs"] == {"v": "4"}


def test_duplicate_extra_args_fail_before_v1beta4():
    args = [{"name": "v", "value": 1}, {"name": "v", "value": 2}]
    with pytest.raises(KubeadmConfigError, match="sets v twice"):
        init_docs("1.30.0", apiserver_extra_args=args)


@pytest.mark.parametrize("args", [{"--v": 2}, [{"name": "v"}], "v=2", {"v": [1, 2]}])
def test_malformed_extra_args_fail(args):
    with pytest.raises(KubeadmConfigError, match="apiserver_extra_args"):
        init_docs("1.36.2", apiserver_extra_args=args)


def test_components_without_extra_args_are_left_out():
    cluster = init_docs("1.36.2", apiserver_extra_args={}, apiserver_cert_sans=[], controller_manager_extra_args={},
                        scheduler_extra_args={}, etcd_extra_args={}, timeouts={})["ClusterConfiguration"]
    assert "apiServer" not in cluster
    assert "controllerManager" not in cluster
    assert "scheduler" not in cluster
    assert cluster["etcd"] == {"local": {"dataDir": "/var/lib/etcd"}}


def test_feature_gates_are_booleans():
    cluster = init_docs("1.36.2", feature_gates={"ControlPlaneKubeletLocalMode": 1})["ClusterConfiguration"]
    assert cluster["featureGates"] == {"ControlPlaneKubeletLocalMode": True}


# --- timeouts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.20.2", "1.30.0"])
def test_timeouts_before_v1beta4(version):
    docs = init_docs(version)
    assert docs["ClusterConfiguration"]["apiServer"]["timeoutForControlPlane"] == "5m0s"
    assert "timeouts" not in docs["InitConfiguration"]
    join = join_doc(version)
    assert join["discovery"]["timeout"] == "6m0s"
    assert "timeouts" not in join


def test_timeouts_from_v1beta4():
    docs = init_docs("1.31.0")
    assert "timeoutForControlPlane" not in docs["ClusterConfiguration"]["apiServer"]
    assert docs["InitConfiguration"]["timeouts"] == {"controlPlaneComponentHealthCheck": "5m0s"}
    join = join_doc("1.31.0")
    assert "timeout" not in join["discovery"]
    assert join["timeouts"] == {"controlPlaneComponentHealthCheck": "5m0s", "discovery": "6m0s", "tlsBootstrap": "7m0s"}


# --- KubeletConfiguration / KubeProxyConfiguration ----------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_kubelet_configuration(version):
    kubelet = init_docs(version)["KubeletConfiguration"]
    assert kubelet["cgroupDriver"] == "systemd"
    assert kubelet["failSwapOn"] is False


def test_fail_cgroup_v1_only_for_kubelets_that_know_it():
    assert "failCgroupV1" not in init_docs("1.30.9")["KubeletConfiguration"]
    assert init_docs("1.31.0")["KubeletConfiguration"]["failCgroupV1"] is False
    assert "failCgroupV1" not in init_docs("1.36.2", kubelet={})["KubeletConfiguration"]


def test_kubelet_defaults_to_systemd_and_leaves_swap_alone():
    kubelet = init_docs("1.36.2", kubelet={})["KubeletConfiguration"]
    assert kubelet == {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
                       "cgroupDriver": "systemd"}


def test_kubelet_settings_are_merged_last():
    kubelet = init_docs("1.36.2", kubelet={"cgroup_driver": "systemd",
                                           "settings": {"maxPods": 50, "cgroupDriver": "cgroupfs"}})[
        "KubeletConfiguration"]
    assert kubelet["maxPods"] == 50
    assert kubelet["cgroupDriver"] == "cgroupfs"


def test_bad_cgroup_driver_fails():
    with pytest.raises(KubeadmConfigError, match="cgroup_driver"):
        init_docs("1.36.2", kubelet={"cgroup_driver": "docker"})


@pytest.mark.parametrize("version", VERSIONS)
def test_kube_proxy_configuration(version):
    proxy = init_docs(version)["KubeProxyConfiguration"]
    assert proxy["mode"] == "iptables"
    assert proxy["conntrack"] == {"maxPerCore": 0}


def test_kube_proxy_defaults_leave_everything_to_kube_proxy():
    proxy = init_docs("1.36.2", kube_proxy={})["KubeProxyConfiguration"]
    assert proxy == {"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration"}


def test_kube_proxy_settings_merge_deeply():
    proxy = init_docs("1.36.2", kube_proxy={"conntrack_max_per_core": 0,
                                            "settings": {"conntrack": {"min": 0}, "metricsBindAddress": "0.0.0.0"}})[
        "KubeProxyConfiguration"]
    assert proxy["conntrack"] == {"maxPerCore": 0, "min": 0}
    assert proxy["metricsBindAddress"] == "0.0.0.0"


@pytest.mark.parametrize("kube_proxy, message", [({"mode": "userspace"}, "mode"),
                                                 ({"conntrack_max_per_core": -1}, "conntrack")])
def test_bad_kube_proxy_settings_fail(kube_proxy, message):
    with pytest.raises(KubeadmConfigError, match=message):
        init_docs("1.36.2", kube_proxy=kube_proxy)


# --- JoinConfiguration -------------------------------------------------------------------------------


@pytest.mark.parametrize("version, api", list(VERSIONS.items()))
def test_worker_join(version, api):
    join = join_doc(version, join={"api_server_endpoint": "192.0.2.100:6443", "token": TOKEN,
                                   "ca_cert_hashes": [CA_HASH]})
    assert join["apiVersion"] == api
    assert join["kind"] == "JoinConfiguration"
    assert join["discovery"]["bootstrapToken"] == {
        "token": TOKEN, "apiServerEndpoint": "192.0.2.100:6443", "caCertHashes": [CA_HASH]}
    assert join["discovery"]["tlsBootstrapToken"] == TOKEN
    assert "controlPlane" not in join
    assert join["nodeRegistration"]["name"] == "cp-1"


@pytest.mark.parametrize("version", VERSIONS)
def test_control_plane_join(version):
    join = join_doc(version, join={"api_server_endpoint": "192.0.2.100:6443", "token": TOKEN,
                                   "ca_cert_hashes": [CA_HASH], "control_plane": True, "certificate_key": CERT_KEY})
    assert join["controlPlane"] == {
        "localAPIEndpoint": {"advertiseAddress": "192.0.2.10", "bindPort": 6443}, "certificateKey": CERT_KEY}


def test_join_skip_phases_and_registration_follow_the_api():
    assert "skipPhases" not in join_doc("1.20.2")
    assert join_doc("1.22.0")["skipPhases"] == ["preflight"]
    assert join_doc("1.20.2")["nodeRegistration"]["kubeletExtraArgs"] == {"node-ip": "192.0.2.10", "max-pods": "200"}
    assert join_doc("1.31.0")["nodeRegistration"]["kubeletExtraArgs"][0] == {"name": "node-ip", "value": "192.0.2.10"}


@pytest.mark.parametrize(
    "join, message",
    [
        ({"token": TOKEN, "ca_cert_hashes": [CA_HASH]}, "api_server_endpoint"),
        ({"api_server_endpoint": "a:6443", "token": "short", "ca_cert_hashes": [CA_HASH]}, "join.token"),
        ({"api_server_endpoint": "a:6443", "token": TOKEN, "ca_cert_hashes": ["md5:abc"]}, "sha256"),
        ({"api_server_endpoint": "a:6443", "token": TOKEN}, "ca_cert_hashes is empty"),
        ({"api_server_endpoint": "a:6443", "token": TOKEN, "ca_cert_hashes": [CA_HASH], "certificate_key": CERT_KEY},
         "only applies with join.control_plane"),
        ({"api_server_endpoint": "a:6443", "token": TOKEN, "ca_cert_hashes": [CA_HASH], "control_plane": True,
          "certificate_key": "xyz"}, "64 lowercase hex"),
    ],
)
def test_bad_join_settings_fail(join, message):
    with pytest.raises(KubeadmConfigError, match=message):
        join_doc("1.36.2", join=join)


def test_unsafe_skip_ca_verification_must_be_explicit():
    join = join_doc("1.36.2", join={"api_server_endpoint": "a:6443", "token": TOKEN,
                                    "unsafe_skip_ca_verification": True})
    assert join["discovery"]["bootstrapToken"]["unsafeSkipCAVerification"] is True
    assert "caCertHashes" not in join["discovery"]["bootstrapToken"]


# --- spec checking, YAML and the filter ---------------------------------------------------------------


def test_unknown_keys_fail_with_the_known_ones_listed():
    with pytest.raises(KubeadmConfigError, match="unknown key.*pod_cidr"):
        kubeadm_config_documents({"kubernetes_version": "1.36.2", "pod_cidr": "10.0.0.0/8"})
    with pytest.raises(KubeadmConfigError, match="under kubelet"):
        kubeadm_config_documents({"kubernetes_version": "1.36.2", "kubelet": {"swap": True}})


def test_missing_version_and_wrong_types_fail():
    with pytest.raises(KubeadmConfigError, match="kubernetes_version is required"):
        kubeadm_config_documents({"pod_subnet": "10.0.0.0/8"})
    with pytest.raises(KubeadmConfigError, match="skip_phases has the wrong type"):
        kubeadm_config_documents({"kubernetes_version": "1.36.2", "skip_phases": "preflight"})
    with pytest.raises(KubeadmConfigError, match="must be a mapping"):
        kubeadm_config_documents(["kubernetes_version"])


def test_minimal_spec():
    docs = by_kind(kubeadm_config_documents({"kubernetes_version": "1.36.2"}))
    assert docs["InitConfiguration"] == {"apiVersion": V1BETA4, "kind": "InitConfiguration",
                                         "nodeRegistration": {"criSocket": "unix:///run/containerd/containerd.sock"}}
    assert docs["ClusterConfiguration"] == {"apiVersion": V1BETA4, "kind": "ClusterConfiguration",
                                            "kubernetesVersion": "v1.36.2",
                                            "etcd": {"local": {"dataDir": "/var/lib/etcd"}}}


@pytest.mark.parametrize("version", VERSIONS)
def test_yaml_round_trips_and_keeps_strings_strings(version):
    text = kubeadm_config_yaml(full_spec(version), "init")
    assert text.startswith("apiVersion: ")  # a leading --- plus a comment header would break kubeadm
    assert text.count("\n---\n") == 3
    assert list(yaml.safe_load_all(text)) == kubeadm_config_documents(full_spec(version), "init")
    cluster = list(yaml.safe_load_all(text))[1]
    args = cluster["apiServer"]["extraArgs"]
    values = args.values() if isinstance(args, dict) else [a["value"] for a in args]
    assert all(isinstance(value, str) for value in values)  # "false" and "7" stay strings


def test_filter_yaml_list_and_errors():
    filters = FilterModule().filters()
    spec = full_spec("1.20.2")
    assert filters["kubeadm_config"](spec, "join") == kubeadm_config_yaml(spec, "join")
    assert filters["kubeadm_config"](spec, "init", "list") == kubeadm_config_documents(spec, "init")
    assert filters["kubeadm_api_version"]("1.31.0") == V1BETA4
    assert filters["kubeadm_features"]("1.20.2")["skip_phases"] is False
    with pytest.raises(AnsibleFilterError, match="unknown key"):
        filters["kubeadm_config"]({"kubernetes_version": "1.36.2", "typo": 1})
    with pytest.raises(AnsibleFilterError, match="output must be"):
        filters["kubeadm_config"](spec, "init", "json")
    with pytest.raises(AnsibleFilterError):
        filters["kubeadm_api_version"]("1.9.0")
    with pytest.raises(AnsibleFilterError):
        filters["kubeadm_features"]("x")


def test_subclassed_builtins_are_rendered_as_plain_yaml():
    # Ansible 2.19 passes tagged subclasses of str/dict/list to filters; safe_dump must still work.
    class TaggedStr(str):
        pass

    class TaggedDict(dict):
        pass

    class TaggedList(list):
        pass

    class TaggedInt(int):
        pass

    spec = TaggedDict(kubernetes_version=TaggedStr("1.20.2"), node_name=TaggedStr("cp-1"),
                      skip_phases=TaggedList([TaggedStr("preflight")]), bind_port=TaggedInt(6443),
                      apiserver_extra_args=TaggedDict(v=TaggedStr("2")))
    text = kubeadm_config_yaml(spec, "init")
    assert "name: cp-1" in text and "bindPort: 6443" in text and "v: '2'" in text
