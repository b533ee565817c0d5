# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the bridge pod network: node_networks and pod_route_plan."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


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
