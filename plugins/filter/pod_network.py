# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the bridge pod network: node_networks and pod_route_plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: pod_route_plan
short_description: Routes a node needs to the other nodes' pod CIDRs
version_added: 0.1.0
author: kubelift maintainers
description:
  - Compares C(ip -4 route show) output with the routes the node should have, every other node's
    C(spec.podCIDR) via that node's InternalIP, and returns what to add or replace and which stale
    pod-network routes to delete.
  - The companion filter C(node_networks) turns C(kubectl get nodes -o json) into a list of
    C({name, pod_cidr, ip}).
options:
  _input:
    description: Output of C(ip -4 route show) on the node.
    type: str
    required: true
  nodes:
    description: C(kubectl get nodes -o json) output (text or parsed) or a C(node_networks) list.
    type: raw
    required: true
  node_name:
    description: Kubernetes name of the node the plan is for.
    type: str
    required: true
  pod_subnet:
    description: The cluster's pod subnet; only routes inside it are ever deleted.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Plan the routes
  ansible.builtin.set_fact:
    plan: "{{ routes.stdout | kubelift.cluster.pod_route_plan(nodes.stdout, 'worker-1', '10.244.0.0/16') }}"
"""

RETURN = r"""
_value:
  description: C(own_cidr), C(routes) (wanted C({dst, via, node})), C(add) (missing or wrong gateway), C(delete).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.module_utils.pod_network import (
    PodNetworkError,
    node_networks as _node_networks,
    route_plan,
)


def pod_route_plan(ip_route_output, nodes, node_name, pod_subnet):
    """What `ip route` changes node_name needs (see module_utils.pod_network.route_plan)."""
    try:
        return route_plan(str(ip_route_output or ""), nodes, str(node_name), str(pod_subnet))
    except PodNetworkError as exc:
        raise AnsibleFilterError("pod_route_plan: %s" % exc)


def node_networks(nodes):
    """[{name, pod_cidr, ip}] from `kubectl get nodes -o json`."""
    try:
        return _node_networks(nodes)
    except PodNetworkError as exc:
        raise AnsibleFilterError("node_networks: %s" % exc)


class FilterModule(object):
    """Pod network filters."""

    def filters(self):
        return {"pod_route_plan": pod_route_plan, "node_networks": node_networks}
