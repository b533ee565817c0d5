# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render kubeadm configuration: kubeadm_config, kubeadm_api_version, kubeadm_features."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kubeadm_config
short_description: Render a kubeadm configuration for the kubeadm version in use
version_added: 0.1.0
author: kubelift maintainers
description:
  - Turns one structured, version-independent mapping into the kubeadm configuration documents that the
    given kubeadm release understands.
  - C(kubeadm.k8s.io/v1beta2) up to 1.21, C(v1beta3) for 1.22-1.30, C(v1beta4) from 1.31 on. Extra arguments
    are rendered as maps before v1beta4 and as lists of C({name, value}) from v1beta4 on; timeouts move into
    C(timeouts) with v1beta4; C(skipPhases) and C(imagePullPolicy) are only written where the API has them;
    C(failCgroupV1) only for kubelets 1.31+.
  - The companion filters C(kubeadm_api_version) and C(kubeadm_features) return the API version and the
    capability map (C(skip_phases), C(config_validate), C(fail_cgroup_v1) ...) of a kubeadm version.
options:
  _input:
    description:
      - The spec. Keys C(kubernetes_version) (required), C(kubeadm_version) (defaults to the former; picks the
        API version), C(node_name), C(node_ip), C(cri_socket), C(kubelet_extra_args), C(taints),
        C(ignore_preflight_errors), C(image_pull_policy), C(advertise_address), C(bind_port),
        C(certificate_key), C(skip_phases), C(cluster_name), C(control_plane_endpoint), C(image_repository),
        C(pod_subnet), C(service_subnet), C(dns_domain), C(apiserver_cert_sans), C(apiserver_extra_args),
        C(controller_manager_extra_args), C(scheduler_extra_args), C(etcd_extra_args), C(etcd_data_dir),
        C(feature_gates), C(timeouts) (C(control_plane), C(discovery), C(tls_bootstrap)), C(kubelet)
        (C(cgroup_driver), C(fail_swap_on), C(fail_cgroup_v1), C(settings)), C(kube_proxy) (C(mode),
        C(conntrack_max_per_core), C(settings)), C(join) (C(api_server_endpoint), C(token), C(ca_cert_hashes),
        C(unsafe_skip_ca_verification), C(control_plane), C(certificate_key)).
      - Extra argument options take a mapping or a list of C({name, value}).
    type: dict
    required: true
  kind:
    description: C(init) (Init, Cluster, Kubelet and KubeProxy configuration), C(join) (JoinConfiguration) or
      C(cluster) (ClusterConfiguration only).
    type: str
    default: init
    choices: [init, join, cluster]
  output:
    description: C(yaml) for one multi-document YAML string, C(list) for the list of documents.
    type: str
    default: yaml
    choices: [yaml, list]
"""

EXAMPLES = r"""
- name: Render the init configuration
  ansible.builtin.copy:
    dest: /etc/kubernetes/kubeadm-config.yaml
    content: "{{ spec | kubelift.cluster.kubeadm_config('init') }}"
    mode: "0600"
  vars:
    spec:
      kubernetes_version: 1.36.2
      pod_subnet: 10.244.0.0/16
      kubelet: {cgroup_driver: systemd}

- name: Which API does kubeadm 1.20 read
  ansible.builtin.debug:
    msg: "{{ '1.20.2' | kubelift.cluster.kubeadm_api_version }}"   # kubeadm.k8s.io/v1beta2
"""

RETURN = r"""
_value:
  description: A multi-document YAML string (output=yaml) or a list of mappings (output=list).
  type: raw
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.module_utils.kubeadm_config import (
    KubeadmConfigError,
    kubeadm_api_version as _api_version,
    kubeadm_config_documents,
    kubeadm_config_yaml,
    kubeadm_features as _features,
)


def kubeadm_config(spec, kind="init", output="yaml"):
    """Render the kubeadm configuration documents of `spec` for `kind` (init, join, cluster)."""
    if output not in ("yaml", "list"):
        raise AnsibleFilterError("kubeadm_config: output must be yaml or list, got %r" % (output,))
    try:
        if output == "list":
            return kubeadm_config_documents(spec, kind)
        return kubeadm_config_yaml(spec, kind)
    except KubeadmConfigError as exc:
        raise AnsibleFilterError(str(exc))


def kubeadm_api_version(version):
    """kubeadm.k8s.io API version for a kubeadm release."""
    try:
        return _api_version(version)
    except KubeadmConfigError as exc:
        raise AnsibleFilterError(str(exc))


def kubeadm_features(version):
    """Capability map of a kubeadm release (see module_utils.kubeadm_config.kubeadm_features)."""
    try:
        return _features(version)
    except KubeadmConfigError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """kubeadm configuration filters."""

    def filters(self):
        return {
            "kubeadm_config": kubeadm_config,
            "kubeadm_api_version": kubeadm_api_version,
            "kubeadm_features": kubeadm_features,
        }
