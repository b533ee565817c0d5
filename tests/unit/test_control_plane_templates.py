"""control_plane role: HA endpoint templates (kube-vip, haproxy, keepalived), preflight checks, kubeadm spec."""

import re

import kubernetes_validate
import pytest
import yaml

from _role_render import expression, render

CPS = {"cp1": "192.0.2.11", "cp2": "192.0.2.12", "cp3": "192.0.2.13"}


def host_vars(ips=CPS, iface="ens3"):
    return {host: {"ansible_facts": {"default_ipv4": {"address": ip, "interface": iface}}} for host, ip in ips.items()}


def context(host="cp1", ips=CPS, **overrides):
    hv = host_vars(ips)
    base = {
        "groups": {"kube_control_plane": list(ips), "kube_workers": []},
        "inventory_hostname": host,
        "hostvars": hv,
        "ansible_facts": dict(hv[host]["ansible_facts"], virtualization_type="kvm", virtualization_role="guest"),
        "kubelift_control_plane_endpoint": "192.0.2.100:6443",
        "control_plane_ha_mode": "kube-vip",
        "_control_plane_kubeadm_version": "1.36.2",
        "_control_plane_admin_conf": {"stat": {"exists": False}},
    }
    base.update(overrides)
    return base


def kube_vip(host="cp1", **overrides):
    return yaml.safe_load(render("control_plane", "kube-vip.yaml.j2", context(host, **overrides)))


def env(pod):
    return {item["name"]: item["value"] for item in pod["spec"]["containers"][0]["env"]}


# --- kube-vip ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.33.0", "1.34.0", "1.35.0", "1.36.0", "1.37.0"])
def test_kube_vip_static_pod_is_a_valid_pod(version):
    pod = kube_vip()
    kubernetes_validate.validate(pod, version, strict=True)


def test_kube_vip_announces_the_endpoint_ip_on_the_default_interface():
    pod = kube_vip()
    assert pod["metadata"] == {"name": "kube-vip", "namespace": "kube-system",
                               "labels": {"app.kubernetes.io/name": "kube-vip",
                                          "app.kubernetes.io/managed-by": "kubelift"}}
    assert pod["spec"]["hostNetwork"] is True
    values = env(pod)
    assert values["address"] == "192.0.2.100"
    assert values["port"] == "6443"
    assert values["vip_interface"] == "ens3"
    assert values["vip_subnet"] == "32"
    assert values["vip_arp"] == "true" and values["cp_enable"] == "true" and values["vip_leaderelection"] == "true"
    assert all(isinstance(value, str) for value in values.values())
    assert pod["spec"]["containers"][0]["image"] == "ghcr.io/kube-vip/kube-vip:v1.0.1"
    assert pod["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] == ["NET_ADMIN", "NET_RAW"]


def test_kube_vip_overrides():
    pod = kube_vip(control_plane_vip_interface="bond0", control_plane_kube_vip_image="mirror.example.cn/kube-vip:v1",
                   kubelift_control_plane_endpoint="[2001:db8::100]:6443")
    values = env(pod)
    assert values["vip_interface"] == "bond0"
    assert values["address"] == "2001:db8::100"
    assert values["vip_subnet"] == "128"
    assert pod["spec"]["containers"][0]["image"] == "mirror.example.cn/kube-vip:v1"


@pytest.mark.parametrize("host, version, initialized, kubeconfig", [
    ("cp1", "1.36.2", False, "/etc/kubernetes/super-admin.conf"),   # first init on 1.29+
    ("cp1", "1.29.0", False, "/etc/kubernetes/super-admin.conf"),
    ("cp1", "1.28.9", False, "/etc/kubernetes/admin.conf"),         # before super-admin.conf existed
    ("cp1", "1.36.2", True, "/etc/kubernetes/admin.conf"),          # after init
    ("cp2", "1.36.2", False, "/etc/kubernetes/admin.conf"),         # joining control planes
])
def test_kube_vip_kubeconfig_follows_the_super_admin_rules(host, version, initialized, kubeconfig):
    pod = kube_vip(host, _control_plane_kubeadm_version=version,
                   _control_plane_admin_conf={"stat": {"exists": initialized}})
    volume = pod["spec"]["volumes"][0]
    assert volume["hostPath"] == {"path": kubeconfig, "type": "File"}
    assert pod["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] == "/etc/kubernetes/admin.conf"


# --- haproxy + keepalived ------------------------------------------------------------------------------


def haproxy(ips=CPS, **overrides):
    overrides.setdefault("kubelift_control_plane_endpoint", "192.0.2.100:8443")
    return render("control_plane", "haproxy.cfg.j2", context(next(iter(ips)), ips=ips, control_plane_ha_mode="haproxy",
                                                              **overrides))


def servers(config):
    return re.findall(r"^\s+server (\S+) (\S+)$", config, re.MULTILINE)


@pytest.mark.parametrize("count", [1, 3, 5])
def test_haproxy_lists_every_control_plane_once(count):
    ips = {f"cp{i}": f"192.0.2.{10 + i}" for i in range(1, count + 1)}
    config = haproxy(ips)
    assert servers(config) == [(host, ip + ":6443") for host, ip in ips.items()]


def test_haproxy_frontend_and_health_check():
    config = haproxy()
    assert re.search(r"^frontend kube-apiserver\n\s+bind \*:8443$", config, re.MULTILINE)
    assert "mode tcp" in config
    assert "option httpchk GET /readyz" in config
    assert "check-ssl verify none" in config


def test_haproxy_uses_kubelift_node_ip_and_api_port():
    hv = host_vars()
    hv["cp2"]["kubelift_node_ip"] = "10.0.0.2"
    config = haproxy(hostvars=hv, control_plane_api_bind_port=7443)
    assert ("cp2", "10.0.0.2:7443") in servers(config)
    assert ("cp1", "192.0.2.11:7443") in servers(config)


def keepalived(host, **overrides):
    return render("control_plane", "keepalived.conf.j2",
                  context(host, control_plane_ha_mode="haproxy", kubelift_control_plane_endpoint="192.0.2.100:8443",
                          **overrides))


def test_keepalived_prefers_the_first_control_plane():
    configs = {host: keepalived(host) for host in CPS}
    states = {host: re.search(r"state (\w+)", text).group(1) for host, text in configs.items()}
    priorities = {host: int(re.search(r"priority (\d+)", text).group(1)) for host, text in configs.items()}
    assert states == {"cp1": "MASTER", "cp2": "BACKUP", "cp3": "BACKUP"}
    assert priorities["cp1"] > priorities["cp2"] > priorities["cp3"]
    weight = int(re.search(r"weight (-\d+)", configs["cp1"]).group(1))
    assert priorities["cp1"] + weight < priorities["cp3"], "a failing check must hand the VIP over"
    for text in configs.values():
        assert "192.0.2.100/32" in text
        assert "virtual_router_id 51" in text
        assert "interface ens3" in text


def test_keepalived_overrides():
    text = keepalived("cp2", control_plane_vip_interface="eth1", control_plane_keepalived_router_id=77)
    assert "interface eth1" in text and "virtual_router_id 77" in text


def test_keepalived_check_script_probes_the_haproxy_port():
    script = render("control_plane", "check-haproxy.sh.j2",
                    context("cp1", control_plane_ha_mode="haproxy", kubelift_control_plane_endpoint="192.0.2.100:8443"))
    assert script.startswith("#!/bin/sh\n")
    assert "/dev/tcp/127.0.0.1/8443" in script


# --- preflight checks ----------------------------------------------------------------------------------


def problems(host="cp1", ips=CPS, **overrides):
    return expression("control_plane", "{{ _control_plane_problems | map(attribute='msg') | list }}",
                      context(host, ips=ips, **overrides))


def test_good_ha_settings_have_no_problems():
    assert problems() == []
    assert problems(control_plane_ha_mode="haproxy", kubelift_control_plane_endpoint="192.0.2.100:8443") == []
    assert problems(ips={"cp1": "192.0.2.11"}, control_plane_ha_mode="none", kubelift_control_plane_endpoint="") == []
    assert problems(control_plane_ha_mode="none", kubelift_control_plane_endpoint="api.example.com:6443") == []


@pytest.mark.parametrize("overrides, message", [
    ({"kubelift_control_plane_endpoint": "", "control_plane_ha_mode": "none"}, "kubelift_control_plane_endpoint is empty"),
    ({"kubelift_control_plane_endpoint": "192.0.2.100"}, "is not host:port"),
    ({"control_plane_ha_mode": "keepalived"}, "must be none, kube-vip or haproxy"),
    ({"kubelift_control_plane_endpoint": "api.example.com:6443"}, "must be IP:port"),
    ({"kubelift_control_plane_endpoint": "192.0.2.100:8443"}, "must equal control_plane_api_bind_port"),
    ({"control_plane_ha_mode": "haproxy"}, "other than control_plane_api_bind_port"),
    ({"control_plane_skip_phases": "preflight"}, "list of phase names"),
    ({"control_plane_keepalived_router_id": 300}, "1-255"),
    ({"control_plane_kubeconfig_local_path": ""}, "control_plane_kubeconfig_local_path is empty"),
])
def test_bad_settings_are_named(overrides, message):
    found = problems(**overrides)
    assert found, overrides
    assert message in found[0]


def test_host_outside_the_group_is_refused():
    found = problems(host="cp1", ips=CPS, groups={"kube_control_plane": ["cp2", "cp3"]})
    assert "runs on the kube_control_plane hosts only" in found[0]


# --- the kubeadm spec the role renders -----------------------------------------------------------------


def spec_yaml(**overrides):
    return render("control_plane", "kubeadm-config.yaml.j2",
                  context("cp1", _control_plane_features={"api_version": "kubeadm.k8s.io/v1beta2"}, **overrides))


def test_lab_like_spec_renders_v1beta2_with_the_lab_settings():
    text = spec_yaml(_control_plane_kubeadm_version="1.20.2", kubelift_kubernetes_version="1.20.2",
                     control_plane_skip_phases=["preflight"], control_plane_ha_mode="none",
                     kubelift_control_plane_endpoint="", groups={"kube_control_plane": ["cp1"]},
                     ansible_facts={"default_ipv4": {"address": "172.22.0.3", "interface": "eth0"},
                                    "virtualization_type": "docker", "virtualization_role": "guest"})
    assert text.startswith("#\n# Ansible managed\n#\n")
    docs = {doc["kind"]: doc for doc in yaml.safe_load_all(text)}
    assert docs["InitConfiguration"]["apiVersion"] == "kubeadm.k8s.io/v1beta2"
    assert "skipPhases" not in docs["InitConfiguration"]
    assert docs["InitConfiguration"]["localAPIEndpoint"] == {"advertiseAddress": "172.22.0.3", "bindPort": 6443}
    assert docs["InitConfiguration"]["nodeRegistration"]["kubeletExtraArgs"] == {"node-ip": "172.22.0.3"}
    assert docs["ClusterConfiguration"]["networking"]["podSubnet"] == "10.244.0.0/16"
    assert "controlPlaneEndpoint" not in docs["ClusterConfiguration"]
    assert docs["KubeletConfiguration"]["failSwapOn"] is False  # inside a container
    assert docs["KubeProxyConfiguration"]["conntrack"] == {"maxPerCore": 0}  # inside a container


def test_ha_spec_renders_v1beta4_with_the_endpoint_in_the_sans():
    text = spec_yaml(kubelift_kubernetes_version="1.36.2", control_plane_allow_workloads=True,
                     control_plane_kubelet_allow_cgroup_v1=True, control_plane_apiserver_extra_args={"v": 2})
    docs = {doc["kind"]: doc for doc in yaml.safe_load_all(text)}
    cluster = docs["ClusterConfiguration"]
    assert docs["InitConfiguration"]["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert cluster["controlPlaneEndpoint"] == "192.0.2.100:6443"
    assert cluster["apiServer"]["certSANs"] == ["192.0.2.100"]
    assert cluster["apiServer"]["extraArgs"] == [{"name": "v", "value": "2"}]
    assert docs["InitConfiguration"]["nodeRegistration"]["taints"] == []
    assert docs["KubeletConfiguration"]["failSwapOn"] is True  # not a container
    assert docs["KubeletConfiguration"]["failCgroupV1"] is False
    assert "conntrack" not in docs["KubeProxyConfiguration"]
