# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters around the add-on roles' images and objects (logic in module_utils/addon_images.py and
module_utils/addon_objects.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.module_utils.addon_images import (
    addon_image_variables,
    addon_images,
)
from ansible_collections.kubelift.cluster.plugins.module_utils.addon_objects import select_components


def _addon_images(variables):
    if not isinstance(variables, dict):
        raise AnsibleFilterError("addon_images expects a dict of variables, got %s" % type(variables).__name__)
    try:
        return addon_images(variables)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def _addon_image_variables(_unused=None):
    return addon_image_variables()


def _addon_components(objects, components, exclude=False):
    try:
        return select_components(objects, components, exclude=exclude)
    except ValueError as exc:
        raise AnsibleFilterError("addon_components: %s" % exc) from exc


class FilterModule(object):
    def filters(self):
        return {
            "addon_images": _addon_images,
            "addon_image_variables": _addon_image_variables,
            "addon_components": _addon_components,
        }
