# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the app migration kit (documentation in the .yml files next to this one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.kubelift.cluster.plugins.module_utils.app_manifests import (
    changed_objects,
    render_apps,
    served_api_versions,
    tls_files,
    validate_apps,
)
from ansible_collections.kubelift.cluster.plugins.module_utils.k8s_rollout import rollout_report, stale_config


def app_manifests(apps, api_versions=None, defaults=None, files=None):
    try:
        return render_apps(apps, api_versions, defaults, files)
    except ValueError as e:
        raise AnsibleFilterError("invalid app specs:\n%s" % e)


def app_validate(apps, api_versions=None, defaults=None, files=None):
    return validate_apps(apps, api_versions, defaults, files)


def app_tls_files(apps, defaults=None):
    return tls_files(apps, defaults)


def app_stale_config(configmaps, secrets, replicasets, keep):
    return stale_config(configmaps or [], secrets or [], replicasets or [], keep or [])


def app_rollout_report(app, rollouts, changed, rollbacks=None, rollback_rollouts=None, rollback_enabled=True):
    return rollout_report(app, rollouts, changed or [], rollbacks, rollback_rollouts, rollback_enabled)


class FilterModule(object):
    def filters(self):
        return {
            "app_manifests": app_manifests,
            "app_validate": app_validate,
            "app_tls_files": app_tls_files,
            "app_stale_config": app_stale_config,
            "app_changed_objects": changed_objects,
            "app_rollout_report": app_rollout_report,
            "served_api_versions": served_api_versions,
        }
