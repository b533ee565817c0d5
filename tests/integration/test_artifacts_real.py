"""plugins/module_utils/artifacts.py against the lab's real kubeadm binaries and offline bundle.

Needs what `make bundle` (hack/build-lab-bundle.sh) builds for K8S_VERSION (default 1.36.3, the lab's release)
in $KUBELIFT_CACHE (default /var/cache/kubelift): kubernetes-<version>/bin/kubeadm and
bundles/kubernetes-<version>-amd64/. Without them these tests fail and say what to run; they never skip.
Other releases the cache holds (`make lab LAB_K8S=1.35.4` builds one) are compared as well.

tests/unit/test_artifacts.py checks the same functions against output recorded from these binaries, so that
the unit tests need no cache; this file finds out when the recordings or the table have gone stale.
"""

import json
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

from ansible_collections.kubelift.cluster.plugins.filter.artifacts import FilterModule
from ansible_collections.kubelift.cluster.plugins.module_utils.artifacts import (
    bundle_plan,
    image_component,
    kubeadm_images,
    kubeadm_images_drift,
    parse_version,
    validate_manifest,
)

CACHE = Path(os.environ.get("KUBELIFT_CACHE", "/var/cache/kubelift"))
VERSION = os.environ.get("K8S_VERSION", "1.36.3").lstrip("v")
ARCH = "amd64"
# The default repository, mirrors with a path, a registry with a port, the pre-1.25 default (custom to a 1.36
# kubeadm), a loopback registry like the lab's and a path below the default registry (still custom to kubeadm).
REPOSITORIES = [
    "registry.k8s.io",
    "registry.aliyuncs.com/google_containers",
    "harbor.example.com:5000/k8s",
    "k8s.gcr.io",
    "127.0.0.1:5099",
    "registry.k8s.io/sub/path",
]
_RELEASE_RE = re.compile(r"^\d+\.\d+\.\d+$")


def _kubeadm_path(version):
    return CACHE / ("kubernetes-" + version) / "bin" / "kubeadm"


def _bundle_path(version):
    return CACHE / "bundles" / ("kubernetes-%s-%s" % (version, ARCH))


def _releases(found):
    """K8S_VERSION (required) and every other release the cache holds, oldest first."""
    return sorted({VERSION} | {v for v in found if _RELEASE_RE.match(v)}, key=parse_version)


KUBEADM_RELEASES = _releases(path.parents[1].name[len("kubernetes-"):]
                             for path in CACHE.glob("kubernetes-*/bin/kubeadm"))
BUNDLE_RELEASES = _releases(path.parent.name[len("kubernetes-"):-len("-" + ARCH)]
                            for path in CACHE.glob("bundles/kubernetes-*-%s/manifest.json" % ARCH))


def _build_hint(version):
    return "run `make bundle` (hack/build-lab-bundle.sh) with K8S_VERSION=%s and KUBELIFT_CACHE=%s first" % (
        version, CACHE)


def _run(*args):
    return subprocess.run([str(arg) for arg in args], capture_output=True, text=True, timeout=120)


@lru_cache(maxsize=None)
def _kubeadm(version):
    """Path of the lab's kubeadm of ``version``; fails (never skips) when it is not there or not that release."""
    path = _kubeadm_path(version)
    if not path.is_file():
        pytest.fail("%s is missing: %s" % (path, _build_hint(version)), pytrace=False)
    result = _run(path, "version", "-o", "short")
    assert result.returncode == 0, "%s version failed: %s" % (path, result.stderr)
    assert result.stdout.strip() == "v" + version, "%s reports %r" % (path, result.stdout.strip())
    return path


def _images_list(kubeadm, version, repo):
    result = _run(kubeadm, "config", "images", "list", "--kubernetes-version", "v" + version,
                  "--image-repository", repo)
    assert result.returncode == 0, "%s config images list (%s) failed: %s" % (kubeadm, repo, result.stderr)
    return result.stdout.split()


@lru_cache(maxsize=None)
def _lab_manifest_text(version):
    manifest = _bundle_path(version) / "manifest.json"
    if not manifest.is_file():
        pytest.fail("%s is missing: %s" % (manifest, _build_hint(version)), pytrace=False)
    return manifest.read_text()


def _lab_manifest(version):
    return json.loads(_lab_manifest_text(version))


@pytest.mark.parametrize("version", KUBEADM_RELEASES)
def test_lab_kubeadm_is_the_release_it_is_filed_under(version):
    assert _kubeadm(version) == _kubeadm_path(version)


@pytest.mark.parametrize("repo", REPOSITORIES)
@pytest.mark.parametrize("version", KUBEADM_RELEASES)
def test_kubeadm_images_match_the_real_kubeadm(version, repo):
    real = _images_list(_kubeadm(version), version, repo)
    assert kubeadm_images(version, repo) == real
    assert kubeadm_images_drift(real, version, repo) == []


@pytest.mark.parametrize("version", BUNDLE_RELEASES)
def test_bundle_plan_is_part_of_the_real_lab_bundle(version):
    lab = _lab_manifest(version)
    plan = bundle_plan(version, ARCH, lab["image_repository"])
    skeleton = plan["manifest_skeleton"]
    keys = ("format", "kubernetes_version", "arch", "image_repository")
    assert {k: lab.get(k) for k in keys} == {k: skeleton[k] for k in keys}
    # The lab bundle holds more than bundle_plan plans (crictl, flannel, metrics-server, docker.io/kubelift/*
    # lab images): what the plan names must be in it under the same archive names.
    planned = {(i["name"], i["file"]) for i in skeleton["images"]}
    held = {(i["name"], i["file"]) for i in lab["images"]}
    assert len(planned) == 7
    assert planned - held == set(), "planned but not in the lab bundle"
    planned_binaries = {(name, b["file"]) for name, b in skeleton["binaries"].items()}
    held_binaries = {(name, b["file"]) for name, b in lab["binaries"].items()}
    assert planned_binaries - held_binaries == set(), "planned but not in the lab bundle"
    # The extra images are add-ons: none is a kubeadm image under another tag or path.
    components = {image_component(name) for name, _file in planned}
    assert sorted(name for name, _file in held - planned if image_component(name) in components) == []


@pytest.mark.parametrize("version", BUNDLE_RELEASES)
def test_validate_manifest_accepts_the_real_lab_bundle(version):
    bundle = _bundle_path(version)
    lab = _lab_manifest(version)
    wanted = [i["name"] for i in bundle_plan(version, ARCH, lab["image_repository"])["images"]]
    assert validate_manifest(lab, lambda path: (bundle / path).is_file(), version=version, arch=ARCH,
                             images=wanted) == []
    # The same through the filter playbooks/bundle.yml uses, which looks at the files itself.
    check = FilterModule().filters()["bundle_manifest_problems"]
    assert check(lab, str(bundle), version, ARCH, wanted) == []


@pytest.mark.parametrize("version", BUNDLE_RELEASES)
def test_lab_bundle_kubeadm_lists_what_the_plan_holds(version):
    bundle = _bundle_path(version)
    lab = _lab_manifest(version)
    kubeadm = bundle / lab["binaries"]["kubeadm"]["file"]
    assert kubeadm.is_file(), "%s is missing: %s" % (kubeadm, _build_hint(version))
    real = _images_list(kubeadm, version, lab["image_repository"])
    from_real = bundle_plan(version, ARCH, lab["image_repository"], kubeadm_image_list=real)
    assert from_real["images"] == bundle_plan(version, ARCH, lab["image_repository"])["images"]
