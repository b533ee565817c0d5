"""Bridge pod network: node list parsing and the route plan."""

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.filter.pod_network import FilterModule
from ansible_collections.kubelift.cluster.plugins.module_utils.pod_network import (
    PodNetworkError,
    node_networks,
    route_plan,
)


def node(name, cidr, ip, hostname=True):
    addresses = [{"type": "InternalIP", "address": ip}] if ip else []
    if hostname:
        addresses.insert(0, {"type": "Hostname", "address": name})
    spec = {"podCIDR": cidr, "podCIDRs": [cidr]} if cidr else {}
    return {"metadata": {"name": name}, "spec": spec, "status": {"addresses": addresses}}


NODES = json.dumps({"kind": "List", "items": [node("cp1", "10.244.0.0/24", "172.22.0.3"),
                                              node("w1", "10.244.1.0/24", "172.22.0.4"),
                                              node("w2", "10.244.2.0/24", "172.22.0.5")]})

ROUTES_CP1 = """default via 172.22.0.1 dev eth0
10.244.0.0/24 dev cni0 proto kernel scope link src 10.244.0.1
172.22.0.0/16 dev eth0 proto kernel scope link src 172.22.0.3
"""


def test_node_networks_prefers_internal_ip():
    assert node_networks(NODES) == [
        {"name": "cp1", "pod_cidr": "10.244.0.0/24", "ip": "172.22.0.3"},
        {"name": "w1", "pod_cidr": "10.244.1.0/24", "ip": "172.22.0.4"},
        {"name": "w2", "pod_cidr": "10.244.2.0/24", "ip": "172.22.0.5"},
    ]


def test_node_networks_handles_missing_fields():
    items = [{"metadata": {"name": "new"}}, {"metadata": {"name": "v6"}, "spec": {"podCIDRs": ["fd00::/64"]},
                                              "status": {"addresses": [{"type": "ExternalIP", "address": "fd01::1"}]}}]
    assert node_networks(items) == [{"name": "new", "pod_cidr": "", "ip": ""},
                                    {"name": "v6", "pod_cidr": "fd00::/64", "ip": "fd01::1"}]


def test_node_networks_rejects_garbage():
    with pytest.raises(PodNetworkError, match="cannot read"):
        node_networks("error: the server doesn't have a resource type")


def test_fresh_node_needs_every_other_route():
    plan = route_plan(ROUTES_CP1, NODES, "cp1", "10.244.0.0/16")
    assert plan["own_cidr"] == "10.244.0.0/24"
    assert plan["add"] == [{"dst": "10.244.1.0/24", "via": "172.22.0.4", "node": "w1"},
                           {"dst": "10.244.2.0/24", "via": "172.22.0.5", "node": "w2"}]
    assert plan["routes"] == plan["add"]
    assert plan["delete"] == []


def test_converged_node_needs_nothing():
    routes = ROUTES_CP1 + "10.244.1.0/24 via 172.22.0.4 dev eth0\n10.244.2.0/24 via 172.22.0.5 dev eth0\n"
    plan = route_plan(routes, NODES, "cp1", "10.244.0.0/16")
    assert plan["add"] == [] and plan["delete"] == []
    assert len(plan["routes"]) == 2


def test_wrong_gateway_is_replaced_and_stale_routes_deleted():
    routes = (ROUTES_CP1 + "10.244.1.0/24 via 172.22.0.9 dev eth0\n10.244.2.0/24 via 172.22.0.5 dev eth0\n"
              "10.244.7.0/24 via 172.22.0.7 dev eth0\n192.168.50.0/24 via 172.22.0.1 dev eth0\n")
    plan = route_plan(routes, NODES, "cp1", "10.244.0.0/16")
    assert plan["add"] == [{"dst": "10.244.1.0/24", "via": "172.22.0.4", "node": "w1"}]
    assert plan["delete"] == ["10.244.7.0/24"]  # outside-pod-subnet routes are never touched


def test_nodes_without_pod_cidr_are_skipped():
    nodes = json.dumps({"items": [node("cp1", "10.244.0.0/24", "172.22.0.3"), node("w9", "", "172.22.0.9")]})
    assert route_plan(ROUTES_CP1, nodes, "cp1", "10.244.0.0/16")["add"] == []


@pytest.mark.parametrize("nodes, name, message", [
    (NODES, "ghost", "not registered"),
    (json.dumps({"items": [node("cp1", "", "172.22.0.3")]}), "cp1", "no spec.podCIDR"),
    (json.dumps({"items": [node("cp1", "10.244.0.0/24", "172.22.0.3"), node("w1", "10.99.0.0/24", "172.22.0.4")]}),
     "cp1", "outside the pod subnet"),
    (json.dumps({"items": [node("cp1", "10.244.0.0/24", "172.22.0.3"), node("w1", "10.244.1.0/24", "", False)]}),
     "cp1", "no address"),
])
def test_route_plan_errors(nodes, name, message):
    with pytest.raises(PodNetworkError, match=message):
        route_plan(ROUTES_CP1, nodes, name, "10.244.0.0/16")


def test_bad_pod_subnet():
    with pytest.raises(PodNetworkError, match="not a CIDR"):
        route_plan(ROUTES_CP1, NODES, "cp1", "ten-dot-something")


def test_filters():
    filters = FilterModule().filters()
    nodes = filters["node_networks"](NODES)
    plan = filters["pod_route_plan"](ROUTES_CP1, nodes, "w1", "10.244.0.0/16")
    assert [r["dst"] for r in plan["add"]] == ["10.244.0.0/24", "10.244.2.0/24"]
    assert filters["pod_route_plan"](ROUTES_CP1, json.loads(NODES), "w1", "10.244.0.0/16") == plan
    with pytest.raises(AnsibleFilterError, match="pod_route_plan: node ghost"):
        filters["pod_route_plan"](ROUTES_CP1, nodes, "ghost", "10.244.0.0/16")
    with pytest.raises(AnsibleFilterError, match="node_networks"):
        filters["node_networks"]("{")
