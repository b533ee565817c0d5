"""node_join and cni roles: the join spec, the bridge network configuration, boot script and preflight checks."""

import json

import pytest
import yaml

from _role_render import ROOT, expression, render

TOKEN = "abcdef.0123456789abcdef"
CA_HASH = "sha256:" + "ab" * 32
CERT_KEY = "cd" * 32


def join_context(host, **overrides):
    base = {
        "groups": {"kube_control_plane": ["cp1", "cp2"], "kube_workers": ["w1"]},
        "inventory_hostname": host,
        "ansible_play_hosts": ["cp1", "cp2", "w1"],
        "ansible_facts": {"default_ipv4": {"address": "192.0.2.20", "interface": "eth0"},
                          "virtualization_type": "kvm", "virtualization_role": "guest"},
        "kubelift_control_plane_endpoint": "192.0.2.100:6443",
        "_node_join_kubeadm_version": "1.20.2",
        "kubelift_kubernetes_version": "1.20.2",
        "_node_join_token": {"token": TOKEN, "ca_cert_hash": CA_HASH},
        "_node_join_certificate_key": CERT_KEY,
        "_node_join_kubelet_conf": {"stat": {"exists": False}},
    }
    base.update(overrides)
    return base


def join_doc(host, **overrides):
    text = expression("node_join", "{{ _node_join_spec | kubelift.cluster.kubeadm_config('join') }}",
                      join_context(host, **overrides))
    (doc,) = yaml.safe_load_all(text)
    return doc


def test_worker_join_spec():
    doc = join_doc("w1", node_join_skip_phases=["preflight"], node_join_worker_taints=[
        {"key": "dedicated", "value": "infra", "effect": "NoSchedule"}])
    assert doc["apiVersion"] == "kubeadm.k8s.io/v1beta2"
    assert doc["discovery"]["bootstrapToken"] == {"token": TOKEN, "apiServerEndpoint": "192.0.2.100:6443",
                                                  "caCertHashes": [CA_HASH]}
    assert "controlPlane" not in doc
    assert "skipPhases" not in doc  # v1beta2: passed as --skip-phases instead
    assert doc["nodeRegistration"]["name"] == "w1"
    assert doc["nodeRegistration"]["kubeletExtraArgs"] == {"node-ip": "192.0.2.20"}
    assert doc["nodeRegistration"]["taints"] == [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]


def test_control_plane_join_spec_on_v1beta4():
    doc = join_doc("cp2", _node_join_kubeadm_version="1.36.2", kubelift_kubernetes_version="1.36.2",
                   node_join_skip_phases=["preflight"])
    assert doc["apiVersion"] == "kubeadm.k8s.io/v1beta4"
    assert doc["controlPlane"] == {"localAPIEndpoint": {"advertiseAddress": "192.0.2.20", "bindPort": 6443},
                                   "certificateKey": CERT_KEY}
    assert doc["skipPhases"] == ["preflight"]
    assert "taints" not in doc["nodeRegistration"]  # kubeadm's control-plane taint
    assert doc["nodeRegistration"]["kubeletExtraArgs"] == [{"name": "node-ip", "value": "192.0.2.20"}]


def test_join_command_passes_skip_phases_only_where_the_api_lacks_them():
    old = expression("node_join", "{{ _node_join_command }}", join_context("w1", node_join_skip_phases=["preflight"]))
    new = expression("node_join", "{{ _node_join_command }}",
                     join_context("w1", node_join_skip_phases=["preflight"], _node_join_kubeadm_version="1.36.2"))
    assert old[:4] == ["timeout", "--kill-after=60", "600", "kubeadm"]
    assert "--skip-phases=preflight" in old
    assert "--skip-phases=preflight" not in new
    assert new[-2:] == ["--config", "/etc/kubernetes/kubeadm-join.yaml"]


def test_join_defaults_follow_the_control_plane_settings_from_the_inventory():
    values = expression("node_join", "{{ [node_join_skip_phases, node_join_api_bind_port | int] }}",
                        join_context("w1", control_plane_skip_phases=["preflight"], control_plane_api_bind_port=7443))
    assert values == [["preflight"], 7443]


def test_pending_hosts_are_computed_from_every_play_host():
    hostvars = {"cp1": {"inventory_hostname": "cp1", "_node_join_kubelet_conf": {"stat": {"exists": False}}},
                "cp2": {"inventory_hostname": "cp2", "_node_join_kubelet_conf": {"stat": {"exists": False}}},
                "w1": {"inventory_hostname": "w1", "_node_join_kubelet_conf": {"stat": {"exists": False}}}}
    pending = expression("node_join", "{{ [_node_join_pending, _node_join_pending_control_planes] }}",
                         join_context("cp1", hostvars=hostvars))
    assert pending == [["cp2", "w1"], ["cp2"]]  # never the first control plane: control_plane initializes it


@pytest.mark.parametrize("host, joined, needed", [("cp1", False, False), ("cp2", False, True), ("w1", True, False)])
def test_only_other_hosts_without_kubelet_conf_join(host, joined, needed):
    value = expression("node_join", "{{ _node_join_needed }}",
                       join_context(host, _node_join_kubelet_conf={"stat": {"exists": joined}}))
    assert value is needed


@pytest.mark.parametrize("overrides, message", [
    ({"node_join_wait": "soon"}, "node_join_wait must be"),
    ({"node_join_skip_phases": "preflight"}, "list of phase names"),
    ({"kubelift_control_plane_endpoint": ""}, "kubelift_control_plane_endpoint is empty"),
    ({"groups": {"kube_control_plane": [], "kube_workers": ["w1"]}}, "is empty or missing"),
])
def test_join_problems(overrides, message):
    found = expression("node_join", "{{ _node_join_problems | map(attribute='msg') | list }}",
                       join_context("w1", **overrides))
    assert found and message in found[0]


# --- cni -----------------------------------------------------------------------------------------------


PLAN = {"own_cidr": "10.244.1.0/24", "routes": [{"dst": "10.244.0.0/24", "via": "192.0.2.11", "node": "cp1"},
                                                {"dst": "10.244.2.0/24", "via": "192.0.2.21", "node": "w2"}],
        "add": [], "delete": []}


def cni_context(**overrides):
    base = {"groups": {"kube_control_plane": ["cp1"], "kube_workers": ["w1", "w2"]}, "inventory_hostname": "w1",
            "ansible_facts": {"os_family": "Debian"}, "_cni_plan": PLAN, "kubelift_cni": "bridge"}
    base.update(overrides)
    return base


def test_bridge_conflist():
    conf = expression("cni", "{{ _cni_bridge_conflist | to_json }}", cni_context())
    conf = json.loads(conf)
    assert conf["cniVersion"] == "0.4.0"
    bridge, portmap = conf["plugins"]
    assert bridge["type"] == "bridge" and bridge["bridge"] == "cni0"
    assert bridge["isGateway"] is True and bridge["ipMasq"] is False and bridge["hairpinMode"] is True
    assert bridge["ipam"] == {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]],
                              "routes": [{"dst": "0.0.0.0/0"}]}
    assert "mtu" not in bridge
    assert portmap == {"type": "portmap", "capabilities": {"portMappings": True}}
    with_mtu = json.loads(expression("cni", "{{ _cni_bridge_conflist | to_json }}", cni_context(cni_bridge_mtu=1450)))
    assert with_mtu["plugins"][0]["mtu"] == 1450


@pytest.mark.parametrize("family, expected", [("Debian", "/usr/lib/cni"), ("RedHat", "/usr/libexec/cni"),
                                              ("Suse", "/opt/cni/bin")])
def test_cni_bin_dir_follows_the_distribution(family, expected):
    assert expression("cni", "{{ cni_bin_dir }}", cni_context(ansible_facts={"os_family": family})) == expected


def test_boot_script_restores_every_route_and_rule():
    script = render("cni", "kubelift-pod-network.sh.j2", cni_context(kubelift_node_name="w1"))
    assert script.startswith("#!/bin/sh\n")
    assert "ip -4 route replace 10.244.0.0/24 via 192.0.2.11" in script
    assert "ip -4 route replace 10.244.2.0/24 via 192.0.2.21" in script
    assert "-s 10.244.1.0/24 ! -d 10.244.0.0/16" in script and "-j MASQUERADE" in script
    assert "FORWARD $dir 10.244.0.0/16" in script
    quiet = render("cni", "kubelift-pod-network.sh.j2", cni_context(kubelift_node_name="w1", cni_bridge_masquerade=False))
    assert "MASQUERADE" not in quiet


def test_unit_runs_the_script():
    unit = render("cni", "kubelift-pod-network.service.j2", cni_context())
    assert "ExecStart=/usr/local/sbin/kubelift-pod-network" in unit
    assert "Type=oneshot" in unit and "WantedBy=multi-user.target" in unit


def test_cni_problems():
    def found(**overrides):
        return expression("cni", "{{ _cni_problems | map(attribute='msg') | list }}", cni_context(**overrides))

    assert found() == []
    assert "kubelift_cni must be flannel or bridge" in found(kubelift_cni="calico")[0]
    assert "absolute path" in found(cni_bin_dir="usr/lib/cni")[0]
    flannel_problems = found(kubelift_cni="flannel")
    if (ROOT / "roles" / "flannel" / "tasks" / "main.yml").is_file():
        assert flannel_problems == []
    else:
        assert "has no flannel role" in flannel_problems[0]
