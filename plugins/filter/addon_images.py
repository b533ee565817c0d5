# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters around the add-on image catalogue (logic in module_utils/addon_images.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.module_utils.addon_images import (
    addon_image_variables,
    addon_images,
)


def _addon_images(variables):
    if not isinstance(variables, dict):
        raise AnsibleFilterError("addon_images expects a dict of variables, got %s" % type(variables).__name__)
    try:
        return addon_images(variables)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def _addon_image_variables(_unused=None):
    return addon_image_variables()


class FilterModule(object):
    def filters(self):
        return {
            "addon_images": _addon_images,
            "addon_image_variables": _addon_image_variables,
        }
