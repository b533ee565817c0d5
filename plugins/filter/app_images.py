# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the app_image role (documentation in the .yml files next to this one)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kubelift.cluster.plugins.module_utils.app_images import (
    image_build_problems,
    image_reference,
)


def app_image_problems(builds, registry="", push=True):
    return image_build_problems(builds, registry, push)


def app_image_reference(build, registry=""):
    return image_reference(registry, build)


class FilterModule(object):
    def filters(self):
        return {
            "app_image_problems": app_image_problems,
            "app_image_reference": app_image_reference,
        }
