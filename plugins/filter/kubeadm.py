# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that render kubeadm configuration: kubeadm_config, kubeadm_api_version, kubeadm_features."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


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
