"""playbooks/bundle.yml end to end, offline: release binaries from an HTTP server and images from a registry,
both started here on 127.0.0.1 and stopped again.

* The "download site" serves the lab's real kubeadm/kubelet/kubectl of K8S_VERSION (default 1.36.3,
  built from Go modules by hack/build-kubernetes.sh) in dl.k8s.io's layout, with .sha256 files computed here.
* The "mirror" is Debian's docker-registry holding two of the lab bundle's images (hack/build-lab-bundle.sh)
  pushed with skopeo, plus one of them again under another name as an add-on image.

The playbook must download and verify the binaries, ask that kubeadm for the images, pull the wanted ones
from the mirror under their registry.k8s.io names, write a manifest.json whose sums match the files, push
the images to a second repository on the registry, change nothing on a second run, refuse a binary whose
published sha256 does not match, and leave a fresh directory untouched in check mode.

Skipped only when docker-registry or skopeo is not installed (CI installs both: .ci/run). The lab's
binaries and bundle must exist (make bundle); without them the test fails and says so.
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

import pytest

from ansible_collections.kubelift.cluster.plugins.module_utils.artifacts import image_component, kubeadm_images

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("KUBELIFT_CACHE", "/var/cache/kubelift"))
VERSION = os.environ.get("K8S_VERSION", "1.36.3")
LAB_BIN = CACHE / ("kubernetes-%s" % VERSION) / "bin"
LAB_BUNDLE = CACHE / "bundles" / ("kubernetes-%s-amd64" % VERSION)
BINARIES = ("kubeadm", "kubelet", "kubectl")
# kubeadm's images for the release as the collection's table predicts them; the `lab` fixture checks that the
# real kubeadm lists exactly these (for 1.36.3: coredns/coredns:v1.14.2, pause:3.10.2, etcd:3.6.8-0).
KUBEADM_IMAGES = kubeadm_images(VERSION)
SCHEDULER = next(image for image in KUBEADM_IMAGES if image_component(image) == "kube-scheduler")
PAUSE = next(image for image in KUBEADM_IMAGES if image_component(image) == "pause")
PAUSE_TAG = PAUSE.rsplit(":", 1)[1]
EXCLUDED = ["kube-apiserver", "kube-controller-manager", "kube-proxy", "etcd", "coredns"]

pytestmark = pytest.mark.skipif(
    not (shutil.which("docker-registry") and shutil.which("skopeo")),
    reason="needs Debian's docker-registry and skopeo (apt-get install docker-registry skopeo), not installed here",
)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _wait_http(url, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _get_json(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def lab():
    missing = [str(LAB_BIN / b) for b in BINARIES if not (LAB_BIN / b).is_file()]
    manifest = LAB_BUNDLE / "manifest.json"
    if missing or not manifest.is_file():
        pytest.fail("the lab's Kubernetes build and bundle are missing (%s): run `make bundle` "
                    "(hack/build-lab-bundle.sh) first" % ", ".join(missing + ([] if manifest.is_file() else [str(manifest)])))
    listed = subprocess.run([str(LAB_BIN / "kubeadm"), "config", "images", "list", "--kubernetes-version",
                             "v" + VERSION, "--image-repository", "registry.k8s.io"],
                            capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert listed == KUBEADM_IMAGES, (
        "kubeadm %s lists %s, plugins/module_utils/artifacts.py predicts %s" % (VERSION, listed, KUBEADM_IMAGES))
    bundle = json.loads(manifest.read_text())
    assert bundle["kubernetes_version"] == VERSION, manifest
    missing_images = [image for image in (SCHEDULER, PAUSE) if image not in {i["name"] for i in bundle["images"]}]
    assert not missing_images, "%s lacks %s" % (manifest, missing_images)
    return bundle


@pytest.fixture(scope="module")
def registry(tmp_path_factory, lab):
    """docker-registry on 127.0.0.1 with mirror/kube-scheduler, mirror/pause and addons/demo."""
    base = tmp_path_factory.mktemp("registry")
    port = _free_port()
    config = base / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n"
        "http:\n  addr: 127.0.0.1:%d\n" % (base / "data", port))
    proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=subprocess.DEVNULL,
                            stderr=open(base / "registry.log", "wb"))
    try:
        _wait_http("http://127.0.0.1:%d/v2/" % port)
        host = "127.0.0.1:%d" % port
        files = {i["name"]: i["file"] for i in lab["images"]}
        for archive, target in [
            (files[SCHEDULER], "mirror/kube-scheduler:v%s" % VERSION),
            (files[PAUSE], "mirror/pause:%s" % PAUSE_TAG),
            (files[PAUSE], "addons/demo:1.0"),
        ]:
            subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                            "docker-archive:%s" % (LAB_BUNDLE / archive), "docker://%s/%s" % (host, target)],
                           check=True, timeout=300)
        yield host
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def download_site(tmp_path_factory, lab):
    """python -m http.server on 127.0.0.1 serving release/v<version>/bin/linux/amd64/<binary>[.sha256]."""
    www = tmp_path_factory.mktemp("www")
    folder = www / "release" / ("v" + VERSION) / "bin" / "linux" / "amd64"
    folder.mkdir(parents=True)
    for name in BINARIES:
        (folder / name).symlink_to(LAB_BIN / name)
        (folder / (name + ".sha256")).write_text(_sha256(LAB_BIN / name))
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
                             "--directory", str(www)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http("http://127.0.0.1:%d/" % port)
        yield {"url": "http://127.0.0.1:%d/release" % port, "folder": folder}
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def run_playbook(tmp_path_factory):
    """Runs playbooks/bundle.yml against a one-host inventory for the lab's release."""
    work = tmp_path_factory.mktemp("ansible")
    collections = work / "collections"
    link = collections / "ansible_collections" / "kubelift" / "cluster"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    inventory = work / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "hosts.yml").write_text("---\nall:\n  children:\n    kube_control_plane:\n      hosts:\n"
                                         "        cp1:\n          ansible_host: 192.0.2.11\n")
    # A supported release needs no kubelift_lab_mode (which only means node containers on a cgroup v1 host,
    # nothing a bundle build involves): the bundle is made exactly as for a user's inventory.
    (inventory / "group_vars" / "all" / "kubelift.yml").write_text(
        "---\nkubelift_kubernetes_version: \"%s\"\n"
        "kubelift_image_repository: registry.k8s.io\nkubelift_artifact_source: bundle\n" % VERSION)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CACHE_PLUGIN="memory", NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
               PATH="%s:%s" % (bin_dir, os.environ.get("PATH", "")))
    playbook = shutil.which("ansible-playbook", path=env["PATH"])

    def run(extra_vars, *args):
        vars_file = work / ("vars-%d.json" % time.monotonic_ns())
        vars_file.write_text(json.dumps(extra_vars))
        started = time.monotonic()
        proc = subprocess.run([playbook, "-i", str(inventory), str(ROOT / "playbooks" / "bundle.yml"),
                               "-e", "@%s" % vars_file] + list(args),
                              cwd=str(work), env=env, capture_output=True, text=True, timeout=1200)
        proc.seconds = time.monotonic() - started
        return proc

    return run


def _vars(bundle_dir, registry, download_site, **more):
    values = {
        "bundle_dir": str(bundle_dir),
        "bundle_binary_base_url": download_site["url"],
        "bundle_pull_repository": registry + "/mirror",
        "bundle_pull_tls_verify": False,
        "bundle_exclude_images": EXCLUDED,
        "bundle_addon_images": [registry + "/addons/demo:1.0"],
        "bundle_push_registry": registry + "/harbor",
        "bundle_push_tls_verify": False,
    }
    values.update(more)
    return values


def _recap(output):
    line = [entry for entry in output.splitlines() if entry.startswith("localhost")][-1]
    return dict(part.split("=") for part in line.split(":", 1)[1].split())


def test_bundle_playbook_builds_verifies_pushes_and_is_idempotent(tmp_path, registry, download_site, run_playbook, lab):
    bundle = tmp_path / "bundle"
    first = run_playbook(_vars(bundle, registry, download_site))
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
    # The downloaded kubeadm and the collection's image table agree (no drift reported).
    assert "predicts otherwise" not in first.stdout and "kubeadm does not list it" not in first.stdout, first.stdout

    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["format"] == 1
    assert manifest["kubernetes_version"] == VERSION
    assert manifest["arch"] == "amd64"
    assert manifest["image_repository"] == "registry.k8s.io"
    for name in BINARIES:
        entry = manifest["binaries"][name]
        assert entry["file"] == "bin/" + name
        assert entry["sha256"] == _sha256(LAB_BIN / name) == _sha256(bundle / entry["file"])
        assert os.access(bundle / entry["file"], os.X_OK)
    # kubeadm's images minus the excluded ones, in kubeadm's order, then the add-on image.
    assert [i["name"] for i in manifest["images"]] == [
        SCHEDULER,
        PAUSE,
        registry + "/addons/demo:1.0",
    ]
    for image in manifest["images"]:
        archive = bundle / image["file"]
        assert image["sha256"] == _sha256(archive)
        with tarfile.open(archive) as tar:
            stored = json.load(tar.extractfile("manifest.json"))
        assert stored[0]["RepoTags"] == [image["name"]], image
    assert not list((bundle / "images").glob("*.partial"))

    for repo, tag in [("harbor/kube-scheduler", "v" + VERSION), ("harbor/pause", PAUSE_TAG),
                      ("harbor/addons/demo", "1.0")]:
        assert tag in _get_json("http://%s/v2/%s/tags/list" % (registry, repo))["tags"], repo

    second = run_playbook(_vars(bundle, registry, download_site))
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-3000:]
    recap = _recap(second.stdout)
    assert recap["changed"] == "0", second.stdout[-6000:]
    assert recap["failed"] == "0"

    checked = run_playbook(_vars(bundle, registry, download_site), "--check")
    assert checked.returncode == 0, checked.stdout[-6000:] + checked.stderr[-3000:]
    assert _recap(checked.stdout)["changed"] == "0", checked.stdout[-6000:]
    print("first run %.1fs, second run %.1fs, check mode %.1fs" % (first.seconds, second.seconds, checked.seconds))


def test_bundle_playbook_refuses_a_binary_whose_published_sha256_differs(tmp_path, registry, download_site,
                                                                           run_playbook):
    published = download_site["folder"] / "kubectl.sha256"
    good = published.read_text()
    published.write_text("0" * 64)
    try:
        result = run_playbook(_vars(tmp_path / "bundle", registry, download_site))
    finally:
        published.write_text(good)
    assert result.returncode != 0
    assert "checksum" in result.stdout.lower() and "kubectl" in result.stdout
    assert not (tmp_path / "bundle" / "manifest.json").exists()


def test_bundle_playbook_check_mode_writes_nothing(tmp_path, registry, download_site, run_playbook):
    result = run_playbook(_vars(tmp_path / "bundle", registry, download_site), "--check")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert not (tmp_path / "bundle").exists()
