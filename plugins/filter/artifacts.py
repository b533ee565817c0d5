# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the artifact-source helpers (logic in plugins/module_utils/artifacts.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import os

from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.module_utils import artifacts


def _filter(func):
    """Turn the helpers' ValueError (bad input, explained) into a filter error Ansible shows as is."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValueError as exc:
            raise AnsibleFilterError("kubelift.cluster.%s: %s" % (func.__name__, exc)) from exc

    return wrapper


@_filter
def kubeadm_images(version, image_repository=artifacts.DEFAULT_IMAGE_REPOSITORY):
    return artifacts.kubeadm_images(version, image_repository)


@_filter
def kubeadm_images_drift(actual, version, image_repository=artifacts.DEFAULT_IMAGE_REPOSITORY):
    return artifacts.kubeadm_images_drift(actual, version, image_repository)


@_filter
def kubeadm_image_tags(version):
    return artifacts.kubeadm_image_tags(version)


@_filter
def package_repo(version, source="online", mirror_url="", os_family="Debian"):
    return artifacts.package_repo(version, source, mirror_url, os_family)


@_filter
def binary_urls(version, arch="amd64", base_url=artifacts.DL_K8S_IO):
    return artifacts.binary_urls(version, arch, base_url)


@_filter
def bundle_plan(version, arch="amd64", image_repository=artifacts.DEFAULT_IMAGE_REPOSITORY, addon_images=None,
                binary_base_url=artifacts.DL_K8S_IO, kubeadm_image_list=None, pull_repository="", exclude=None):
    return artifacts.bundle_plan(version, arch, image_repository, addon_images or [], binary_base_url,
                                 kubeadm_image_list, pull_repository, exclude or [])


@_filter
def bundle_manifest(plan, checksums):
    return artifacts.bundle_manifest(plan, checksums)


@_filter
def bundle_push_targets(plan, push_repository):
    return artifacts.push_targets(plan, push_repository)


@_filter
def bundle_manifest_problems(manifest, bundle_dir, version=None, arch=None, images=None):
    """Like module_utils' validate_manifest, looking the files up under bundle_dir on the controller."""
    root = os.path.realpath(str(bundle_dir))

    def file_exists(path):
        full = os.path.realpath(os.path.join(root, path))
        return full.startswith(root + os.sep) and os.path.isfile(full)

    return artifacts.validate_manifest(manifest, file_exists, version=version or None, arch=arch or None,
                                       images=images or ())


class FilterModule(object):
    def filters(self):
        return {
            "kubeadm_images": kubeadm_images,
            "kubeadm_images_drift": kubeadm_images_drift,
            "kubeadm_image_tags": kubeadm_image_tags,
            "package_repo": package_repo,
            "binary_urls": binary_urls,
            "bundle_plan": bundle_plan,
            "bundle_manifest": bundle_manifest,
            "bundle_push_targets": bundle_push_targets,
            "bundle_manifest_problems": bundle_manifest_problems,
        }
