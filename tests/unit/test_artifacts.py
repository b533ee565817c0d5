"""Artifact sources and the offline bundle plan (plugins/module_utils/artifacts.py, plugins/filter/artifacts.py)."""

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.kubelift.cluster.plugins.filter.artifacts import FilterModule
from ansible_collections.kubelift.cluster.plugins.module_utils import artifacts

# Unit tests use recorded data only: `make test` runs them before `make bundle` has built anything. The live
# comparisons against the lab's kubeadm binaries and bundle are in tests/integration/test_artifacts_real.py.
#
# Printed on 2026-12-07 by the lab's kubeadm v1.36.3 and v1.35.4 (hack/build-kubernetes.sh, built from the Go
# module proxy; /var/cache/kubelift/kubernetes-<version>/bin/kubeadm), for each <repo> below:
#   kubeadm config images list --kubernetes-version v<version> --image-repository <repo>
RECORDED = {
    "1.36.3": {
        "registry.k8s.io": [
            "registry.k8s.io/kube-apiserver:v1.36.3",
            "registry.k8s.io/kube-controller-manager:v1.36.3",
            "registry.k8s.io/kube-scheduler:v1.36.3",
            "registry.k8s.io/kube-proxy:v1.36.3",
            "registry.k8s.io/coredns/coredns:v1.14.2",
            "registry.k8s.io/pause:3.10.2",
            "registry.k8s.io/etcd:3.6.8-0",
        ],
        "registry.aliyuncs.com/google_containers": [
            "registry.aliyuncs.com/google_containers/kube-apiserver:v1.36.3",
            "registry.aliyuncs.com/google_containers/kube-controller-manager:v1.36.3",
            "registry.aliyuncs.com/google_containers/kube-scheduler:v1.36.3",
            "registry.aliyuncs.com/google_containers/kube-proxy:v1.36.3",
            "registry.aliyuncs.com/google_containers/coredns:v1.14.2",
            "registry.aliyuncs.com/google_containers/pause:3.10.2",
            "registry.aliyuncs.com/google_containers/etcd:3.6.8-0",
        ],
        "harbor.example.com:5000/k8s": [
            "harbor.example.com:5000/k8s/kube-apiserver:v1.36.3",
            "harbor.example.com:5000/k8s/kube-controller-manager:v1.36.3",
            "harbor.example.com:5000/k8s/kube-scheduler:v1.36.3",
            "harbor.example.com:5000/k8s/kube-proxy:v1.36.3",
            "harbor.example.com:5000/k8s/coredns:v1.14.2",
            "harbor.example.com:5000/k8s/pause:3.10.2",
            "harbor.example.com:5000/k8s/etcd:3.6.8-0",
        ],
    },
    "1.35.4": {
        "registry.k8s.io": [
            "registry.k8s.io/kube-apiserver:v1.35.4",
            "registry.k8s.io/kube-controller-manager:v1.35.4",
            "registry.k8s.io/kube-scheduler:v1.35.4",
            "registry.k8s.io/kube-proxy:v1.35.4",
            "registry.k8s.io/coredns/coredns:v1.13.1",
            "registry.k8s.io/pause:3.10.1",
            "registry.k8s.io/etcd:3.6.6-0",
        ],
        "registry.aliyuncs.com/google_containers": [
            "registry.aliyuncs.com/google_containers/kube-apiserver:v1.35.4",
            "registry.aliyuncs.com/google_containers/kube-controller-manager:v1.35.4",
            "registry.aliyuncs.com/google_containers/kube-scheduler:v1.35.4",
            "registry.aliyuncs.com/google_containers/kube-proxy:v1.35.4",
            "registry.aliyuncs.com/google_containers/coredns:v1.13.1",
            "registry.aliyuncs.com/google_containers/pause:3.10.1",
            "registry.aliyuncs.com/google_containers/etcd:3.6.6-0",
        ],
        "harbor.example.com:5000/k8s": [
            "harbor.example.com:5000/k8s/kube-apiserver:v1.35.4",
            "harbor.example.com:5000/k8s/kube-controller-manager:v1.35.4",
            "harbor.example.com:5000/k8s/kube-scheduler:v1.35.4",
            "harbor.example.com:5000/k8s/kube-proxy:v1.35.4",
            "harbor.example.com:5000/k8s/coredns:v1.13.1",
            "harbor.example.com:5000/k8s/pause:3.10.1",
            "harbor.example.com:5000/k8s/etcd:3.6.6-0",
        ],
    },
}

# The 1.20 row of the table (and its older image order: pause, etcd, then CoreDNS) rests on one recording of
# the former lab's v1.20.2 kubeadm, made on 2026-11-30 (that binary is no longer built):
#   kubeadm config images list --kubernetes-version v1.20.2 --image-repository registry.k8s.io
RECORDED_1_20_2 = [
    "registry.k8s.io/kube-apiserver:v1.20.2",
    "registry.k8s.io/kube-controller-manager:v1.20.2",
    "registry.k8s.io/kube-scheduler:v1.20.2",
    "registry.k8s.io/kube-proxy:v1.20.2",
    "registry.k8s.io/pause:3.2",
    "registry.k8s.io/etcd:3.4.13-0",
    "registry.k8s.io/coredns:1.7.0",
]

# The kubeadm images of the lab bundle for 1.36.3 (hack/build-lab-bundle.sh), as its manifest.json listed them
# on 2026-12-07; the bundle holds crictl and add-on images besides these.
LAB_BUNDLE_1_36_3_KUBEADM_FILES = [
    "images/coredns+coredns_v1.14.2.tar",
    "images/etcd_3.6.8-0.tar",
    "images/kube-apiserver_v1.36.3.tar",
    "images/kube-controller-manager_v1.36.3.tar",
    "images/kube-proxy_v1.36.3.tar",
    "images/kube-scheduler_v1.36.3.tar",
    "images/pause_3.10.2.tar",
]

# Published output of `kubeadm config images list` for newer releases (default repository), quoted in
# install guides and issue threads; the tags and the order must match.
PUBLISHED = {
    "1.31.0": ("v1.11.1", "3.10", "3.5.15-0"),
    "1.32.2": ("v1.11.3", "3.10", "3.5.16-0"),
    "1.32.13": ("v1.11.3", "3.10", "3.5.24-0"),
    "1.33.5": ("v1.12.0", "3.10", "3.5.21-0"),
    "1.34.3": ("v1.12.1", "3.10.1", "3.6.5-0"),
    "1.35.5": ("v1.13.1", "3.10.1", "3.6.6-0"),
    "1.36.2": ("v1.14.2", "3.10.2", "3.6.8-0"),
    "1.36.5": ("v1.14.2", "3.10.2", "3.6.8-0"),
    "1.37.1": ("v1.14.6", "3.10.2", "3.7.0-0"),
}


@pytest.mark.parametrize("version, repo", [(v, r) for v in sorted(RECORDED) for r in sorted(RECORDED[v])])
def test_kubeadm_images_match_recorded_kubeadm_output(version, repo):
    assert artifacts.kubeadm_images(version, repo) == RECORDED[version][repo]
    assert artifacts.kubeadm_images_drift(RECORDED[version][repo], version, repo) == []


def test_kubeadm_images_1_20_match_recorded_kubeadm_output():
    assert artifacts.kubeadm_images("1.20.2", "registry.k8s.io") == RECORDED_1_20_2


@pytest.mark.parametrize("version", sorted(PUBLISHED))
def test_kubeadm_images_match_published_output(version):
    coredns, pause, etcd = PUBLISHED[version]
    v = "v" + version
    assert artifacts.kubeadm_images(version) == [
        f"registry.k8s.io/kube-apiserver:{v}",
        f"registry.k8s.io/kube-controller-manager:{v}",
        f"registry.k8s.io/kube-scheduler:{v}",
        f"registry.k8s.io/kube-proxy:{v}",
        f"registry.k8s.io/coredns/coredns:{coredns}",
        f"registry.k8s.io/pause:{pause}",
        f"registry.k8s.io/etcd:{etcd}",
    ]


@pytest.mark.parametrize("repo, expected", [
    ("registry.k8s.io", "registry.k8s.io/coredns/coredns:v1.14.2"),
    # Any other repository is custom to kubeadm 1.25+, k8s.gcr.io included: no coredns/coredns there.
    ("k8s.gcr.io", "k8s.gcr.io/coredns:v1.14.2"),
    ("registry.aliyuncs.com/google_containers", "registry.aliyuncs.com/google_containers/coredns:v1.14.2"),
    ("harbor.dc1.example/k8s", "harbor.dc1.example/k8s/coredns:v1.14.2"),
    ("registry.k8s.io/mirror", "registry.k8s.io/mirror/coredns:v1.14.2"),
])
def test_coredns_path_for_default_and_custom_repositories(repo, expected):
    images = artifacts.kubeadm_images("1.36.2", repo)
    assert images[4] == expected
    assert all(ref.startswith(repo + "/") for ref in images)


def test_coredns_path_between_1_21_and_1_24_follows_k8s_gcr_io():
    assert artifacts.kubeadm_image("coredns", "v1.8.0", "1.21.0", "k8s.gcr.io") == "k8s.gcr.io/coredns/coredns:v1.8.0"
    assert artifacts.kubeadm_image("coredns", "v1.8.0", "1.21.0", "registry.k8s.io") == "registry.k8s.io/coredns:v1.8.0"
    assert artifacts.kubeadm_image("coredns", "1.7.0", "1.20.2", "k8s.gcr.io") == "k8s.gcr.io/coredns:1.7.0"


def test_patch_steps_pick_the_newest_step_at_or_below_the_patch():
    assert artifacts.kubeadm_image_tags("1.31.0")["coredns"] == "v1.11.1"
    assert artifacts.kubeadm_image_tags("1.31.1")["coredns"] == "v1.11.3"
    assert artifacts.kubeadm_image_tags("1.31.13")["etcd"] == "3.5.15-0"
    assert artifacts.kubeadm_image_tags("v1.31.14") == {"pause": "3.10", "etcd": "3.5.24-0", "coredns": "v1.11.3"}


def test_every_supported_minor_has_complete_tags():
    assert {"1.20", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"} <= set(artifacts.supported_image_minors())
    for minor in artifacts.supported_image_minors():
        tags = artifacts.kubeadm_image_tags(minor + ".0")
        assert set(tags) == {"pause", "etcd", "coredns"}, minor
        assert len(artifacts.kubeadm_images(minor + ".0")) == 7


@pytest.mark.parametrize("version, message", [
    ("1.30.4", "no kubeadm image tags recorded for Kubernetes 1.30.4"),
    ("1.36", "is not x.y.z"),
    ("latest", "is not x.y.z"),
])
def test_kubeadm_images_rejects_unknown_versions(version, message):
    with pytest.raises(ValueError, match=message):
        artifacts.kubeadm_images(version)


@pytest.mark.parametrize("repo", ["", "https://registry.k8s.io", "registry.k8s.io/", "reg istry"])
def test_kubeadm_images_rejects_repositories_kubeadm_would_mangle(repo):
    with pytest.raises(ValueError, match="no scheme or trailing slash"):
        artifacts.kubeadm_images("1.36.2", repo)


# --- packages ---------------------------------------------------------------------------------------------

def test_package_repo_online_deb_and_rpm():
    deb = artifacts.package_repo("1.36.2", "online", "", "Debian")
    assert deb == {
        "format": "deb",
        "minor": "v1.36",
        "url": "https://pkgs.k8s.io/core:/stable:/v1.36/deb/",
        "key_url": "https://pkgs.k8s.io/core:/stable:/v1.36/deb/Release.key",
        "apt_line": "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] "
                    "https://pkgs.k8s.io/core:/stable:/v1.36/deb/ /",
    }
    rpm = artifacts.package_repo("1.34.1", "online", "", "RedHat")
    assert rpm == {
        "format": "rpm",
        "minor": "v1.34",
        "url": "https://pkgs.k8s.io/core:/stable:/v1.34/rpm/",
        "key_url": "https://pkgs.k8s.io/core:/stable:/v1.34/rpm/repodata/repomd.xml.key",
    }


def test_package_repo_mirror_base_replaces_pkgs_k8s_io():
    repo = artifacts.package_repo("1.35.0", "mirror", "https://mirrors.tuna.tsinghua.edu.cn/kubernetes/", "Debian")
    assert repo["url"] == "https://mirrors.tuna.tsinghua.edu.cn/kubernetes/core:/stable:/v1.35/deb/"
    assert repo["key_url"] == "https://mirrors.tuna.tsinghua.edu.cn/kubernetes/core:/stable:/v1.35/deb/Release.key"


def test_package_repo_mirror_template_for_other_layouts():
    repo = artifacts.package_repo("1.36.2", "mirror",
                                  "https://mirrors.aliyun.com/kubernetes-new/core/stable/{minor}/{format}", "RedHat")
    assert repo["url"] == "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.36/rpm/"
    assert repo["key_url"] == "https://mirrors.aliyun.com/kubernetes-new/core/stable/v1.36/rpm/repodata/repomd.xml.key"


def test_package_repo_bundle_has_none():
    assert artifacts.package_repo("1.36.2", "bundle", "", "Debian") is None


@pytest.mark.parametrize("args, message", [
    (("1.36.2", "mirror", "", "Debian"), "must be an http"),
    (("1.36.2", "mirror", "mirrors.example.cn/k8s", "Debian"), "must be an http"),
    (("1.36.2", "mirror", "https://m.example.cn/{release}/", "Debian"), "only {minor} and {format}"),
    (("1.36.2", "ftp", "", "Debian"), "not one of online, mirror, bundle"),
    (("1.36.2", "online", "", "Windows"), "no Kubernetes package repository for OS family 'Windows'"),
])
def test_package_repo_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        artifacts.package_repo(*args)


# --- binaries ---------------------------------------------------------------------------------------------

def test_binary_urls_default_and_overridden_base():
    urls = artifacts.binary_urls("1.36.2", "arm64")
    assert urls["kubeadm"] == {
        "url": "https://dl.k8s.io/release/v1.36.2/bin/linux/arm64/kubeadm",
        "sha256_url": "https://dl.k8s.io/release/v1.36.2/bin/linux/arm64/kubeadm.sha256",
    }
    assert sorted(urls) == ["kubeadm", "kubectl", "kubelet"]
    mirrored = artifacts.binary_urls("v1.36.3", "amd64", "http://127.0.0.1:8080/release/")
    assert mirrored["kubelet"]["url"] == "http://127.0.0.1:8080/release/v1.36.3/bin/linux/amd64/kubelet"


@pytest.mark.parametrize("args, message", [
    (("1.36.2", "x86_64"), "architecture 'x86_64'"),
    (("1.36.2", "amd64", "dl.k8s.io/release"), "must be an http"),
])
def test_binary_urls_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        artifacts.binary_urls(*args)


# --- image references -------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref, expected", [
    ("nginx:1.27", "docker.io/library/nginx:1.27"),
    ("bitnami/redis:7.2", "docker.io/bitnami/redis:7.2"),
    ("ghcr.io/flannel-io/flannel:v0.28.4", "ghcr.io/flannel-io/flannel:v0.28.4"),
    ("localhost/app:1", "localhost/app:1"),
    ("127.0.0.1:5000/app:1", "127.0.0.1:5000/app:1"),
    ("quay.io/x/y:1@sha256:" + "a" * 64, "quay.io/x/y:1@sha256:" + "a" * 64),
])
def test_normalize_image(ref, expected):
    assert artifacts.normalize_image(ref) == expected


@pytest.mark.parametrize("ref", ["nginx", "quay.io/x/y@sha256:" + "b" * 64])
def test_normalize_image_requires_a_tag(ref):
    with pytest.raises(ValueError, match="has no tag"):
        artifacts.normalize_image(ref)


@pytest.mark.parametrize("ref", ["Nginx:1", "a//b:1", "a/b:", "x:y:z"])
def test_parse_image_rejects_malformed_references(ref):
    with pytest.raises(ValueError, match="is not an image reference"):
        artifacts.parse_image(ref)


@pytest.mark.parametrize("ref, repo, expected", [
    ("registry.k8s.io/kube-apiserver:v1.36.3", "registry.k8s.io", "images/kube-apiserver_v1.36.3.tar"),
    ("registry.k8s.io/coredns/coredns:v1.14.2", "registry.k8s.io", "images/coredns+coredns_v1.14.2.tar"),
    ("ghcr.io/flannel-io/flannel:v0.28.4", "registry.k8s.io", "images/ghcr.io+flannel-io+flannel_v0.28.4.tar"),
    ("127.0.0.1:5099/addons/demo:1.0", "127.0.0.1:5099/k8s", "images/127.0.0.1-5099+addons+demo_1.0.tar"),
])
def test_image_file_names(ref, repo, expected):
    assert artifacts.image_file(ref, repo) == expected


# --- bundle plan, manifest, push ----------------------------------------------------------------------------

def test_bundle_plan_1_36_3_matches_the_lab_bundle_layout():
    plan = artifacts.bundle_plan("1.36.3", "amd64", "registry.k8s.io")
    skeleton = plan["manifest_skeleton"]
    assert sorted(i["file"] for i in skeleton["images"]) == LAB_BUNDLE_1_36_3_KUBEADM_FILES
    assert [i["name"] for i in plan["images"]] == RECORDED["1.36.3"]["registry.k8s.io"]
    assert skeleton["binaries"] == {name: {"file": "bin/" + name, "sha256": ""} for name in ("kubeadm", "kubectl", "kubelet")}
    assert {k: skeleton[k] for k in ("format", "kubernetes_version", "arch", "image_repository")} == {
        "format": 1, "kubernetes_version": "1.36.3", "arch": "amd64", "image_repository": "registry.k8s.io"}
    assert plan["binaries"][0] == {
        "name": "kubeadm", "file": "bin/kubeadm",
        "url": "https://dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubeadm",
        "sha256_url": "https://dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubeadm.sha256",
    }


def test_bundle_plan_pulls_from_a_mirror_under_the_cluster_names():
    plan = artifacts.bundle_plan("1.36.2", image_repository="registry.k8s.io",
                                 pull_repository="registry.aliyuncs.com/google_containers")
    by_name = {i["name"]: i for i in plan["images"]}
    dns = by_name["registry.k8s.io/coredns/coredns:v1.14.2"]
    assert dns["source"] == "registry.aliyuncs.com/google_containers/coredns:v1.14.2"
    assert dns["archive_ref"] == "registry.k8s.io/coredns/coredns:v1.14.2"
    assert dns["file"] == "images/coredns+coredns_v1.14.2.tar"
    assert by_name["registry.k8s.io/etcd:3.6.8-0"]["source"] == "registry.aliyuncs.com/google_containers/etcd:3.6.8-0"


def test_bundle_plan_adds_deduplicates_and_excludes_images():
    plan = artifacts.bundle_plan(
        "1.36.2", addon_images=["nginx:1.27", "registry.k8s.io/pause:3.10.2", "nginx:1.27",
                                "ghcr.io/x/y:1@sha256:" + "c" * 64],
        exclude=["kube-proxy"])
    names = [i["name"] for i in plan["images"]]
    assert "registry.k8s.io/kube-proxy:v1.36.2" not in names
    assert names.count("registry.k8s.io/pause:3.10.2") == 1
    assert names[-2:] == ["docker.io/library/nginx:1.27", "ghcr.io/x/y:1"]
    pinned = plan["images"][-1]
    assert pinned["source"] == "ghcr.io/x/y:1@sha256:" + "c" * 64
    assert pinned["archive_ref"] == "ghcr.io/x/y:1"
    assert [i["origin"] for i in plan["images"]].count("addon") == 2


def test_bundle_plan_uses_the_list_of_a_real_kubeadm():
    real = ["registry.k8s.io/kube-apiserver:v1.36.9", "registry.k8s.io/etcd:3.6.9-0"]
    plan = artifacts.bundle_plan("1.36.9", kubeadm_image_list=real + [""])
    assert [i["name"] for i in plan["images"]] == real


def test_bundle_plan_refuses_two_images_in_one_archive():
    with pytest.raises(ValueError, match="would share the archive"):
        artifacts.bundle_plan("1.36.2", addon_images=["registry.example:5000/a:1", "registry.example-5000/a:1"])


def test_bundle_plan_refuses_an_untagged_addon_image():
    with pytest.raises(ValueError, match="has no tag"):
        artifacts.bundle_plan("1.36.2", addon_images=["nginx"])


def _plan_and_sums():
    plan = artifacts.bundle_plan("1.36.3", "amd64", "127.0.0.1:5099", addon_images=["127.0.0.1:5099/addons/demo:1.0"],
                                 exclude=["coredns"])
    sums = {b["file"]: "%064x" % n for n, b in enumerate(plan["binaries"])}
    sums.update({i["file"]: "%064x" % (100 + n) for n, i in enumerate(plan["images"])})
    return plan, sums


def test_bundle_manifest_fills_in_the_checksums():
    plan, sums = _plan_and_sums()
    manifest = artifacts.bundle_manifest(plan, sums)
    assert manifest["binaries"]["kubectl"] == {"file": "bin/kubectl", "sha256": sums["bin/kubectl"]}
    assert [i["sha256"] for i in manifest["images"]] == [sums[i["file"]] for i in plan["images"]]
    assert artifacts.validate_manifest(manifest, lambda path: path in sums, version="1.36.3", arch="amd64",
                                       images=[i["name"] for i in plan["images"]]) == []
    del sums["images/pause_3.10.2.tar"]
    with pytest.raises(ValueError, match="no sha256 for images/pause_3.10.2.tar"):
        artifacts.bundle_manifest(plan, sums)


def test_validate_manifest_names_each_problem():
    plan, sums = _plan_and_sums()
    manifest = artifacts.bundle_manifest(plan, sums)
    manifest["binaries"]["kubelet"]["sha256"] = ""
    manifest["binaries"]["kubectl"]["sha256"] = "ABC"
    del manifest["binaries"]["kubeadm"]
    manifest["images"][0]["file"] = "../escape.tar"
    manifest["images"].append(dict(manifest["images"][1]))
    manifest["images"].append(dict(manifest["images"][2], name="127.0.0.1:5099/other:1"))
    present = set(sums) - {"images/etcd_3.6.8-0.tar"}
    problems = artifacts.validate_manifest(manifest, lambda path: path in present, version="1.36.2", arch="arm64",
                                           images=["127.0.0.1:5099/coredns:v1.14.2"])
    assert problems == [
        "kubernetes_version is 1.36.3, expected 1.36.2",
        "arch is 'amd64', expected 'arm64'",
        "binary kubeadm is not listed",
        "binary kubectl: sha256 'ABC' is not 64 lowercase hex digits",
        "binary kubelet: no sha256",
        "image 127.0.0.1:5099/kube-apiserver:v1.36.3: file '../escape.tar' is not a path inside the bundle",
        "image 127.0.0.1:5099/etcd:3.6.8-0: file images/etcd_3.6.8-0.tar is missing",
        "image 127.0.0.1:5099/kube-controller-manager:v1.36.3: listed twice",
        "image 127.0.0.1:5099/other:1: archive images/kube-scheduler_v1.36.3.tar belongs to another image too",
        "image 127.0.0.1:5099/coredns:v1.14.2 is not in the bundle",
    ]


def test_validate_manifest_rejects_non_objects_and_wrong_format():
    assert artifacts.validate_manifest([], lambda p: True) == ["manifest.json is not a JSON object"]
    problems = artifacts.validate_manifest({"format": 2, "binaries": [], "images": {}}, lambda p: True, binaries=())
    assert problems == ["format is 2, expected 1", "kubernetes_version is missing", "binaries is not an object",
                        "images is not a list"]


def test_push_targets_follow_kubeadm_rules_for_the_push_repository():
    plan = artifacts.bundle_plan("1.36.2", addon_images=["nginx:1.27", "ghcr.io/flannel-io/flannel:v0.28.4"])
    targets = {t["name"]: t["destination"] for t in artifacts.push_targets(plan, "harbor.dc1.example/k8s")}
    assert targets["registry.k8s.io/kube-apiserver:v1.36.2"] == "harbor.dc1.example/k8s/kube-apiserver:v1.36.2"
    assert targets["registry.k8s.io/coredns/coredns:v1.14.2"] == "harbor.dc1.example/k8s/coredns:v1.14.2"
    assert targets["docker.io/library/nginx:1.27"] == "harbor.dc1.example/k8s/library/nginx:1.27"
    assert targets["ghcr.io/flannel-io/flannel:v0.28.4"] == "harbor.dc1.example/k8s/flannel-io/flannel:v0.28.4"
    # What a cluster with kubelift_image_repository=<push repository> asks for is exactly what was pushed.
    assert set(artifacts.kubeadm_images("1.36.2", "harbor.dc1.example/k8s")) <= set(targets.values())


# --- filters ------------------------------------------------------------------------------------------------

FILTERS = FilterModule().filters()


def test_filters_are_registered_and_call_the_helpers():
    assert set(FILTERS) == {"kubeadm_images", "kubeadm_images_drift", "kubeadm_image_tags", "package_repo", "binary_urls", "bundle_plan",
                            "bundle_manifest", "bundle_push_targets", "bundle_manifest_problems"}
    assert FILTERS["kubeadm_images"]("1.36.3", "registry.k8s.io") == RECORDED["1.36.3"]["registry.k8s.io"]
    plan = FILTERS["bundle_plan"]("1.36.2", "amd64", "registry.k8s.io", None, exclude=["coredns"])
    assert len(plan["images"]) == 6


def test_filters_report_bad_input_as_filter_errors():
    with pytest.raises(AnsibleFilterError, match=r"kubelift.cluster.kubeadm_images: no kubeadm image tags recorded"):
        FILTERS["kubeadm_images"]("1.19.0")
    with pytest.raises(AnsibleFilterError, match=r"kubelift.cluster.package_repo: .*must be an http"):
        FILTERS["package_repo"]("1.36.2", "mirror", "", "Debian")


def test_bundle_manifest_problems_looks_at_files_under_the_bundle(tmp_path):
    plan = artifacts.bundle_plan("1.36.2", exclude=["kube-apiserver", "kube-controller-manager", "kube-scheduler",
                                                    "kube-proxy", "coredns", "etcd"])
    sums = {}
    for entry in plan["binaries"] + plan["images"]:
        path = tmp_path / entry["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(entry["file"])
        sums[entry["file"]] = "f" * 64
    (tmp_path.parent / "outside.tar").write_text("x")
    manifest = artifacts.bundle_manifest(plan, sums)
    check = FILTERS["bundle_manifest_problems"]
    assert check(manifest, str(tmp_path), "1.36.2", "amd64", ["registry.k8s.io/pause:3.10.2"]) == []
    (tmp_path / "bin" / "kubelet").unlink()
    manifest["images"][0]["file"] = "images/../../outside.tar"
    assert check(manifest, str(tmp_path)) == [
        "binary kubelet: file bin/kubelet is missing",
        "image registry.k8s.io/pause:3.10.2: file 'images/../../outside.tar' is not a path inside the bundle",
    ]


def test_kubeadm_images_drift_names_the_differences():
    real = artifacts.kubeadm_images("1.36.2")
    assert artifacts.kubeadm_images_drift(real, "1.36.2") == []
    newer = [ref.replace("etcd:3.6.8-0", "etcd:3.6.9-0") for ref in real]
    assert artifacts.kubeadm_images_drift(newer + [""], "1.36.2") == [
        "kubeadm lists registry.k8s.io/etcd:3.6.9-0; the table in plugins/module_utils/artifacts.py predicts otherwise",
        "the table predicts registry.k8s.io/etcd:3.6.8-0; kubeadm does not list it",
    ]
    assert artifacts.kubeadm_images_drift(real, "1.38.0")[0].startswith("no kubeadm image tags recorded")


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_filter_is_documented(name):
    doc = yaml.safe_load((Path(artifacts.__file__).parents[1] / "filter" / (name + ".yml")).read_text())
    assert doc["DOCUMENTATION"]["name"] == name
    assert doc["DOCUMENTATION"]["short_description"] and doc["EXAMPLES"] and doc["RETURN"]
