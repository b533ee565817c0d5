# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `bridge` pod network: which node owns which pod CIDR, and the routes a node needs to the others.

* ``node_networks`` reads ``kubectl get nodes -o json`` into [{name, pod_cidr, ip}] (InternalIP first).
* ``route_plan`` compares ``ip -4 route show`` with the routes a node should have (every OTHER node's pod
  CIDR via that node's IP) and says which to add or replace and which stale pod-network routes to delete.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json


class PodNetworkError(ValueError):
    """The cluster's node list cannot give a pod network."""


def _network(value, what):
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise PodNetworkError("%s %r is not a CIDR" % (what, value))


def node_networks(nodes):
    """[{name, pod_cidr, ip}] from `kubectl get nodes -o json` (text or parsed), sorted by name.

    pod_cidr is '' for a node that has none yet; ip is the InternalIP (else the first address).
    """
    if isinstance(nodes, (str, bytes)):
        try:
            nodes = json.loads(nodes)
        except ValueError as exc:
            raise PodNetworkError("cannot read `kubectl get nodes -o json` output: %s" % exc)
    if isinstance(nodes, dict):
        nodes = nodes.get("items", [])
    result = []
    for node in nodes or []:
        name = ((node.get("metadata") or {}).get("name")) or ""
        spec = node.get("spec") or {}
        addresses = (node.get("status") or {}).get("addresses") or []
        internal = [a.get("address") for a in addresses if a.get("type") == "InternalIP" and a.get("address")]
        others = [a.get("address") for a in addresses if a.get("address")]
        ips = internal or others
        cidr = spec.get("podCIDR") or ((spec.get("podCIDRs") or [""])[0])
        result.append({"name": str(name), "pod_cidr": str(cidr or ""), "ip": str(ips[0]) if ips else ""})
    return sorted(result, key=lambda item: item["name"])


def _parse_routes(text):
    """{destination: gateway} of the `via` routes in `ip route show` output."""
    routes = {}
    for line in (text or "").splitlines():
        words = line.split()
        if len(words) >= 3 and "via" in words:
            destination = words[0]
            gateway = words[words.index("via") + 1]
            if destination == "default":
                continue
            try:
                routes[str(ipaddress.ip_network(destination, strict=False))] = gateway
            except ValueError:
                continue
    return routes


def route_plan(ip_route_output, nodes, self_name, pod_subnet):
    """What `ip route` changes node `self_name` needs.

    Returns {'own_cidr', 'routes' (wanted [{dst, via, node}]), 'add' (missing or wrong gateway),
    'delete' (via-routes inside pod_subnet that no other node owns any more)}.
    """
    subnet = _network(pod_subnet, "pod_subnet")
    nodes = node_networks(nodes) if not (isinstance(nodes, list) and all("pod_cidr" in n for n in nodes)) else nodes
    own = [n for n in nodes if n["name"] == self_name]
    if not own:
        raise PodNetworkError("node %s is not registered in the cluster" % self_name)
    if not own[0]["pod_cidr"]:
        raise PodNetworkError(
            "node %s has no spec.podCIDR: the controller manager allocates them only with a pod subnet "
            "(kubelift_pod_subnet / networking.podSubnet)" % self_name)
    wanted = []
    for node in nodes:
        if node["name"] == self_name or not node["pod_cidr"]:
            continue
        if not node["ip"]:
            raise PodNetworkError("node %s has a pod CIDR but no address to route it to" % node["name"])
        cidr = _network(node["pod_cidr"], "podCIDR of " + node["name"])
        if not (cidr.version == subnet.version and cidr.subnet_of(subnet)):
            raise PodNetworkError(
                "podCIDR %s of node %s is outside the pod subnet %s" % (cidr, node["name"], subnet))
        wanted.append({"dst": str(cidr), "via": node["ip"], "node": node["name"]})
    current = _parse_routes(ip_route_output)
    add = [route for route in wanted if current.get(route["dst"]) != route["via"]]
    wanted_dsts = set(route["dst"] for route in wanted)
    own_cidr = str(_network(own[0]["pod_cidr"], "podCIDR of " + self_name))
    delete = sorted(
        destination for destination in current
        if destination not in wanted_dsts and destination != own_cidr
        and ipaddress.ip_network(destination).version == subnet.version
        and ipaddress.ip_network(destination).subnet_of(subnet))
    return {"own_cidr": own_cidr, "routes": wanted, "add": add, "delete": delete}
