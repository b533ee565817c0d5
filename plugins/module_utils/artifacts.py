# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where Kubernetes packages, binaries and images come from, and what an offline bundle holds.

Plain functions without I/O: the filters in plugins/filter/artifacts.py and playbooks/bundle.yml call them,
tests/unit/test_artifacts.py checks them against recorded kubeadm output,
tests/integration/test_artifacts_real.py against the lab's real kubeadm.

Image names follow kubeadm's own derivation (cmd/kubeadm/app/images/images.go upstream):

* ``<repo>/kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy:v<version>``;
* ``<repo>/pause:<tag>`` and ``<repo>/etcd:<tag>``, the tags fixed per release (table below);
* CoreDNS: up to 1.20 always ``<repo>/coredns:<tag>``. Since 1.21 the upstream image lives at
  ``coredns/coredns``, and kubeadm adds that extra ``/coredns`` only when the repository is its *default*
  one (k8s.gcr.io in 1.21-1.24, registry.k8s.io since 1.25). Any other repository -- a mirror such as
  registry.aliyuncs.com/google_containers, a Harbor project, k8s.gcr.io on a 1.25+ kubeadm -- gets
  ``<repo>/coredns:<tag>``, so a mirror must hold CoreDNS one level up from where registry.k8s.io has it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

BUNDLE_FORMAT = 1
BUNDLE_BINARIES = ("kubeadm", "kubelet", "kubectl")
ARCHITECTURES = ("amd64", "arm64", "ppc64le", "s390x")
PKGS_K8S_IO = "https://pkgs.k8s.io"
DL_K8S_IO = "https://dl.k8s.io/release"
DEFAULT_IMAGE_REPOSITORY = "registry.k8s.io"

# The tags kubeadm uses for pause, etcd and CoreDNS, per minor release. etcd and CoreDNS were bumped in
# some patch releases, so each minor holds steps: (first patch, tags that change from that patch on).
# A step records what a real `kubeadm config images list` of that patch printed; a later patch keeps the
# newest step at or below it. Patches between two observed steps may already carry a newer tag that is
# not recorded here -- playbooks/bundle.yml therefore asks the downloaded kubeadm itself and only warns
# when this table disagrees.
#   1.20  v1.20.2: the former lab binary, its output recorded on 2026-11-30 in tests/unit/test_artifacts.py
#         (the binary is no longer built)
#   1.31  v1.31.0: coredns v1.11.1, etcd 3.5.15-0; v1.31.1: coredns v1.11.3 (kubernetes#126796);
#         v1.31.14: etcd 3.5.24-0
#   1.32  v1.32.0-v1.32.6: etcd 3.5.16-0; v1.32.13: etcd 3.5.24-0
#   1.33  v1.33.0 and v1.33.5: coredns v1.12.0, etcd 3.5.21-0
#   1.34  v1.34.0: etcd 3.6.4-0; v1.34.3: etcd 3.6.5-0
#   1.35  v1.35.0, v1.35.4 and v1.35.5: coredns v1.13.1, etcd 3.6.6-0
#   1.36  v1.36.2, v1.36.3, v1.36.4, v1.36.5: coredns v1.14.2, pause 3.10.2, etcd 3.6.8-0
#   1.37  v1.37.0 and v1.37.1: coredns v1.14.6, etcd 3.7.0-0
# v1.36.3 (the lab's release) and v1.35.4 are kubeadm binaries of the lab (hack/build-kubernetes.sh): their
# output, recorded on 2026-12-07, is in tests/unit/test_artifacts.py, and
# tests/integration/test_artifacts_real.py compares the binaries themselves (after `make bundle`).
_KUBEADM_TAGS = {
    "1.20": [(0, {"pause": "3.2", "etcd": "3.4.13-0", "coredns": "1.7.0"})],
    "1.31": [(0, {"pause": "3.10", "etcd": "3.5.15-0", "coredns": "v1.11.1"}),
             (1, {"coredns": "v1.11.3"}),
             (14, {"etcd": "3.5.24-0"})],
    "1.32": [(0, {"pause": "3.10", "etcd": "3.5.16-0", "coredns": "v1.11.3"}),
             (13, {"etcd": "3.5.24-0"})],
    "1.33": [(0, {"pause": "3.10", "etcd": "3.5.21-0", "coredns": "v1.12.0"})],
    "1.34": [(0, {"pause": "3.10.1", "etcd": "3.6.4-0", "coredns": "v1.12.1"}),
             (3, {"etcd": "3.6.5-0"})],
    "1.35": [(0, {"pause": "3.10.1", "etcd": "3.6.6-0", "coredns": "v1.13.1"})],
    "1.36": [(0, {"pause": "3.10.2", "etcd": "3.6.8-0", "coredns": "v1.14.2"})],
    "1.37": [(0, {"pause": "3.10.2", "etcd": "3.7.0-0", "coredns": "v1.14.6"})],
}

# Order of `kubeadm config images list`: 1.20 prints pause, etcd, then CoreDNS (recorded from the retired
# v1.20.2 lab); 1.31 and later print CoreDNS right after kube-proxy, then pause and etcd (v1.31.0, v1.33.x, v1.36.x, v1.37.1 output).
_CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")
_ORDER_OLD = _CONTROL_PLANE + ("pause", "etcd", "coredns")
_ORDER_NEW = _CONTROL_PLANE + ("coredns", "pause", "etcd")

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# A reference: [registry[:port]/]path[:tag][@digest]; path components per the distribution spec.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_REF_RE = re.compile(
    r"^(?P<name>(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?" + _COMPONENT + r"(?:/" + _COMPONENT + r")*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


def parse_version(version):
    """Return (major, minor, patch) of ``1.36.2`` or ``v1.36.2``; ValueError otherwise."""
    match = _VERSION_RE.match(str(version).strip())
    if not match:
        raise ValueError("Kubernetes version %r is not x.y.z (for example 1.36.2)" % (version,))
    return tuple(int(part) for part in match.groups())


def _minor_key(version):
    major, minor, patch = parse_version(version)
    return "%d.%d" % (major, minor), minor, patch


def supported_image_minors():
    """Minor releases whose kubeadm image tags the table knows, oldest first."""
    return sorted(_KUBEADM_TAGS, key=lambda key: tuple(int(part) for part in key.split(".")))


def kubeadm_image_tags(version):
    """Tags of pause, etcd and CoreDNS that kubeadm of ``version`` uses (dict)."""
    key, _minor, patch = _minor_key(version)
    if key not in _KUBEADM_TAGS:
        raise ValueError(
            "no kubeadm image tags recorded for Kubernetes %s (known minors: %s); add the release to "
            "_KUBEADM_TAGS in plugins/module_utils/artifacts.py from `kubeadm config images list`"
            % (version, ", ".join(supported_image_minors())))
    tags = {}
    for first_patch, changes in _KUBEADM_TAGS[key]:
        if patch >= first_patch:
            tags.update(changes)
    return tags


def default_image_repository(version):
    """The repository kubeadm of ``version`` uses when none is configured."""
    _key, minor, _patch = _minor_key(version)
    return "k8s.gcr.io" if minor < 25 else DEFAULT_IMAGE_REPOSITORY


def _repository(image_repository):
    """The repository as kubeadm would use it. kubeadm pastes it in front of the image names verbatim (a
    trailing slash gives ``repo//kube-apiserver``, which no registry serves), so such input is refused."""
    repo = str(image_repository or "").strip()
    if not re.match(r"^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)*$", repo):
        raise ValueError("image repository %r must be a registry host with an optional path and no scheme or "
                         "trailing slash, for example registry.k8s.io or registry.aliyuncs.com/google_containers"
                         % (image_repository,))
    return repo


def kubeadm_image(component, tag, version, image_repository):
    """Reference kubeadm of ``version`` uses for ``component`` (kube-apiserver ... coredns) at ``tag``."""
    repo = _repository(image_repository)
    _key, minor, _patch = _minor_key(version)
    if component == "coredns" and minor >= 21 and repo == default_image_repository(version):
        return "%s/coredns/coredns:%s" % (repo, tag)
    return "%s/%s:%s" % (repo, component, tag)


def kubeadm_images(version, image_repository=DEFAULT_IMAGE_REPOSITORY):
    """The image list ``kubeadm config images list --kubernetes-version v<version> --image-repository R``
    prints, in kubeadm's order (local etcd, kube-proxy and CoreDNS enabled)."""
    major, minor, patch = parse_version(version)
    tags = dict(kubeadm_image_tags(version))
    kube_tag = "v%d.%d.%d" % (major, minor, patch)
    for component in _CONTROL_PLANE:
        tags[component] = kube_tag
    order = _ORDER_OLD if minor < 31 else _ORDER_NEW
    return [kubeadm_image(component, tags[component], version, image_repository) for component in order]


def kubeadm_images_drift(actual, version, image_repository=DEFAULT_IMAGE_REPOSITORY):
    """How ``actual`` (what a real kubeadm printed) differs from kubeadm_images(): a list of sentences, empty
    when they agree. A release the table does not know yields one sentence saying so."""
    try:
        predicted = kubeadm_images(version, image_repository)
    except ValueError as exc:
        return [str(exc)]
    actual = [str(ref).strip() for ref in actual or () if str(ref).strip()]
    drift = ["kubeadm lists %s; the table in plugins/module_utils/artifacts.py predicts otherwise" % ref
             for ref in actual if ref not in predicted]
    drift.extend("the table predicts %s; kubeadm does not list it" % ref for ref in predicted if ref not in actual)
    return drift


def image_component(reference):
    """Last path element of an image reference without tag/digest: ``.../coredns/coredns:v1`` -> coredns."""
    return parse_image(reference)["name"].rsplit("/", 1)[-1]


def parse_image(reference):
    """Split ``[registry/]path[:tag][@digest]`` into name, tag and digest (ValueError when malformed)."""
    ref = str(reference or "").strip()
    match = _REF_RE.match(ref)
    if not match:
        raise ValueError("%r is not an image reference like registry.example/project/name:tag" % (reference,))
    return {"name": match.group("name"), "tag": match.group("tag"), "digest": match.group("digest")}


def normalize_image(reference):
    """Fully qualified reference the way containerd names it: ``nginx:1.27`` ->
    ``docker.io/library/nginx:1.27``. A tag is required (an image pinned only by digest has no name to import
    under, and an untagged one would float)."""
    parts = parse_image(reference)
    if not parts["tag"]:
        raise ValueError("image %r has no tag: pin one, for example %s:v1.2.3 (a digest may follow the tag)"
                         % (reference, parts["name"]))
    name = parts["name"]
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + name
    result = "%s:%s" % (name, parts["tag"])
    if parts["digest"]:
        result += "@" + parts["digest"]
    return result


def archive_reference(reference):
    """``name:tag`` stored inside the archive (docker-archive cannot carry a digest)."""
    parts = parse_image(normalize_image(reference))
    return "%s:%s" % (parts["name"], parts["tag"])


def image_file(reference, image_repository=""):
    """Bundle path of an image archive: ``images/<name>_<tag>.tar``.

    ``<name>`` is the reference's path below ``image_repository`` when it lies there (so kubeadm images are
    ``images/kube-apiserver_v1.36.2.tar``, as in the lab bundle), else the whole name; ``/`` becomes ``+``
    and a registry port's ``:`` becomes ``-``, characters that image names cannot contain otherwise.
    """
    parts = parse_image(reference)
    name = parts["name"]
    repo = str(image_repository or "").rstrip("/")
    if repo and name.startswith(repo + "/"):
        name = name[len(repo) + 1:]
    tag = parts["tag"] or "sha256-" + parts["digest"][len("sha256:"):][:12]
    return "images/%s_%s.tar" % (name.replace("/", "+").replace(":", "-"), tag)


def package_repo(version, source="online", mirror_url="", os_family="Debian"):
    """apt/yum repository of the kubeadm, kubelet and kubectl packages of ``version``'s minor.

    ``source``: online (https://pkgs.k8s.io) or mirror (``mirror_url``). ``mirror_url`` either replaces
    https://pkgs.k8s.io and keeps its layout (``https://mirrors.tuna.tsinghua.edu.cn/kubernetes``), or is
    a template with ``{minor}`` (v1.36) and ``{format}`` (deb/rpm) for mirrors that lay it out differently
    (``https://mirrors.aliyun.com/kubernetes-new/core/stable/{minor}/{format}/``). ``os_family`` is Ansible's
    ``ansible_facts['os_family']``: Debian gets the deb repository, RedHat and Suse the rpm one.
    With source bundle the packages come from the bundle's binaries, and the answer is None.

    Returns a dict: format, minor, url (ends with /), key_url, apt_line (deb only).
    """
    major, minor, _patch = parse_version(version)
    minor_tag = "v%d.%d" % (major, minor)
    family = str(os_family or "")
    if family == "Debian":
        fmt = "deb"
    elif family in ("RedHat", "Suse"):
        fmt = "rpm"
    else:
        raise ValueError("no Kubernetes package repository for OS family %r: pkgs.k8s.io serves Debian (deb) "
                         "and RedHat/Suse (rpm) systems" % (os_family,))
    if source == "bundle":
        return None
    if source == "online":
        url = "%s/core:/stable:/%s/%s/" % (PKGS_K8S_IO, minor_tag, fmt)
    elif source == "mirror":
        base = str(mirror_url or "").strip()
        if not re.match(r"^https?://[^/\s]+", base):
            raise ValueError("kubelift_package_mirror_url %r must be an http(s) URL that replaces "
                             "https://pkgs.k8s.io, or a template with {minor} and {format}" % (mirror_url,))
        if "{" in base:
            try:
                url = base.format(minor=minor_tag, format=fmt)
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError("kubelift_package_mirror_url %r: only {minor} and {format} may be used (%s)"
                                 % (mirror_url, exc))
            url = url.rstrip("/") + "/"
        else:
            url = "%s/core:/stable:/%s/%s/" % (base.rstrip("/"), minor_tag, fmt)
    else:
        raise ValueError("artifact source %r is not one of online, mirror, bundle" % (source,))
    key_url = url + ("Release.key" if fmt == "deb" else "repodata/repomd.xml.key")
    repo = {"format": fmt, "minor": minor_tag, "url": url, "key_url": key_url}
    if fmt == "deb":
        repo["apt_line"] = "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] %s /" % url
    return repo


def binary_urls(version, arch="amd64", base_url=DL_K8S_IO, binaries=BUNDLE_BINARIES):
    """Download URLs of the release binaries: ``{name: {"url": ..., "sha256_url": ...}}``.

    ``base_url`` replaces https://dl.k8s.io/release; below it the layout is ``v<version>/bin/linux/<arch>/``.
    """
    major, minor, patch = parse_version(version)
    if arch not in ARCHITECTURES:
        raise ValueError("architecture %r is not one of %s" % (arch, ", ".join(ARCHITECTURES)))
    base = str(base_url or "").strip().rstrip("/")
    if not re.match(r"^(https?|file)://", base):
        raise ValueError("binary base URL %r must be an http(s) or file URL like %s" % (base_url, DL_K8S_IO))
    urls = {}
    for name in binaries:
        url = "%s/v%d.%d.%d/bin/linux/%s/%s" % (base, major, minor, patch, arch, name)
        urls[name] = {"url": url, "sha256_url": url + ".sha256"}
    return urls


def _exclude(images, exclude):
    skip = set(exclude or ())
    return [ref for ref in images if image_component(ref) not in skip]


def bundle_plan(version, arch="amd64", image_repository=DEFAULT_IMAGE_REPOSITORY, addon_images=(),
                binary_base_url=DL_K8S_IO, kubeadm_image_list=None, pull_repository="", exclude=()):
    """Everything an offline bundle for ``version``/``arch`` holds, and where each piece comes from.

    * ``image_repository``: the repository the cluster's kubeadm names its images under
      (kubelift_image_repository); the archives carry those names.
    * ``kubeadm_image_list``: the list a real kubeadm printed; None predicts it with kubeadm_images().
    * ``pull_repository``: pull the kubeadm images from this repository instead (a mirror reachable from the
      machine that builds the bundle); CoreDNS's path follows kubeadm's rule for each repository.
    * ``addon_images``: more references (normalized to fully qualified names, a tag required).
    * ``exclude``: image names (last path element) to leave out, for example coredns.

    Returns a dict with kubernetes_version, arch, image_repository, binaries (name, url, sha256_url, file),
    images (name, source, file, archive_ref, origin) and manifest_skeleton (manifest.json without sha256s).
    """
    major, minor, patch = parse_version(version)
    plain_version = "%d.%d.%d" % (major, minor, patch)
    repo = _repository(image_repository)
    pull_repo = _repository(pull_repository) if pull_repository else repo

    binaries = []
    for name, urls in sorted(binary_urls(plain_version, arch, binary_base_url).items()):
        binaries.append({"name": name, "url": urls["url"], "sha256_url": urls["sha256_url"], "file": "bin/" + name})

    if kubeadm_image_list is None:
        kubeadm_list = kubeadm_images(plain_version, repo)
    else:
        kubeadm_list = [str(ref).strip() for ref in kubeadm_image_list if str(ref).strip()]
    images = []
    for ref in _exclude(kubeadm_list, exclude):
        parts = parse_image(ref)
        if not parts["tag"]:
            raise ValueError("kubeadm image %r has no tag" % (ref,))
        source = ref
        if pull_repo != repo:
            source = kubeadm_image(image_component(ref), parts["tag"], plain_version, pull_repo)
        images.append({"name": ref, "source": source, "file": image_file(ref, repo),
                       "archive_ref": archive_reference(ref), "origin": "kubeadm"})
    known = set(image["name"] for image in images)
    for ref in _exclude(addon_images or (), exclude):
        name = normalize_image(ref)
        parts = parse_image(name)
        plain = "%s:%s" % (parts["name"], parts["tag"])
        if plain in known:
            continue
        known.add(plain)
        images.append({"name": plain, "source": name, "file": image_file(plain, repo),
                       "archive_ref": plain, "origin": "addon"})

    seen = {}
    for image in images:
        if image["file"] in seen:
            raise ValueError("images %s and %s would share the archive %s; give one of them another tag"
                             % (seen[image["file"]], image["name"], image["file"]))
        seen[image["file"]] = image["name"]

    skeleton = {
        "format": BUNDLE_FORMAT,
        "kubernetes_version": plain_version,
        "arch": arch,
        "image_repository": repo,
        "binaries": dict((b["name"], {"file": b["file"], "sha256": ""}) for b in binaries),
        "images": [{"name": i["name"], "file": i["file"], "sha256": ""} for i in images],
    }
    return {"kubernetes_version": plain_version, "arch": arch, "image_repository": repo,
            "binaries": binaries, "images": images, "manifest_skeleton": skeleton}


def bundle_manifest(plan, checksums):
    """manifest.json for ``plan`` with ``checksums`` ({bundle-relative file: sha256 hex}) filled in."""
    manifest = {
        "format": BUNDLE_FORMAT,
        "kubernetes_version": plan["kubernetes_version"],
        "arch": plan["arch"],
        "image_repository": plan["image_repository"],
        "binaries": {},
        "images": [],
    }
    missing = []
    for binary in plan["binaries"]:
        digest = str(checksums.get(binary["file"], "")).lower()
        if not digest:
            missing.append(binary["file"])
        manifest["binaries"][binary["name"]] = {"file": binary["file"], "sha256": digest}
    for image in plan["images"]:
        digest = str(checksums.get(image["file"], "")).lower()
        if not digest:
            missing.append(image["file"])
        manifest["images"].append({"name": image["name"], "file": image["file"], "sha256": digest})
    if missing:
        raise ValueError("no sha256 for %s" % ", ".join(missing))
    return manifest


def _inside(path):
    text = str(path or "")
    return bool(text) and not text.startswith("/") and ".." not in text.split("/")


def _entry_problems(label, entry, file_exists):
    if not isinstance(entry, dict):
        return ["%s: not an object with file and sha256" % label]
    found = []
    path = entry.get("file")
    if not _inside(path):
        found.append("%s: file %r is not a path inside the bundle" % (label, path))
    elif not file_exists(path):
        found.append("%s: file %s is missing" % (label, path))
    digest = entry.get("sha256")
    if not digest:
        found.append("%s: no sha256" % label)
    elif not _SHA256_RE.match(str(digest)):
        found.append("%s: sha256 %r is not 64 lowercase hex digits" % (label, digest))
    return found


def validate_manifest(manifest, file_exists, version=None, arch=None, binaries=BUNDLE_BINARIES, images=()):
    """Problems (list of strings, empty when fine) of a parsed manifest.json.

    ``file_exists(path)`` answers whether a bundle-relative path exists. ``version``/``arch``, when given, must
    match the manifest's; ``binaries`` must all be listed; ``images`` (references) must all be present.
    """
    if not isinstance(manifest, dict):
        return ["manifest.json is not a JSON object"]
    found = []
    if manifest.get("format") != BUNDLE_FORMAT:
        found.append("format is %r, expected %d" % (manifest.get("format"), BUNDLE_FORMAT))
    have_version = str(manifest.get("kubernetes_version", "")).lstrip("v")
    if not have_version:
        found.append("kubernetes_version is missing")
    elif version and have_version != str(version).lstrip("v"):
        found.append("kubernetes_version is %s, expected %s" % (have_version, str(version).lstrip("v")))
    if arch and manifest.get("arch") != arch:
        found.append("arch is %r, expected %r" % (manifest.get("arch"), arch))
    listed = manifest.get("binaries")
    if not isinstance(listed, dict):
        found.append("binaries is not an object")
        listed = {}
    for name in binaries:
        if name not in listed:
            found.append("binary %s is not listed" % name)
    for name in sorted(listed):
        found.extend(_entry_problems("binary %s" % name, listed[name], file_exists))
    entries = manifest.get("images")
    if not isinstance(entries, list):
        found.append("images is not a list")
        entries = []
    names, files = set(), set()
    for index, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = "image %s" % (name or "#%d" % index)
        if not name:
            found.append("%s: no name" % label)
        elif name in names:
            found.append("%s: listed twice" % label)
        elif entry.get("file") in files:
            found.append("%s: archive %s belongs to another image too" % (label, entry.get("file")))
        names.add(name)
        if isinstance(entry, dict):
            files.add(entry.get("file"))
        found.extend(_entry_problems(label, entry, file_exists))
    for ref in images or ():
        if ref not in names:
            found.append("image %s is not in the bundle" % ref)
    return found


def push_targets(plan, push_repository):
    """Where playbooks/bundle.yml pushes each archive of ``plan`` in a registry of the user's (a Harbor
    project, say): ``[{"file", "name", "destination"}]``.

    kubeadm images land where kubeadm expects them once ``kubelift_image_repository`` is set to
    ``push_repository`` (so CoreDNS goes to ``<push_repository>/coredns:<tag>``, kubeadm's rule for a custom
    repository). Add-on images keep their path below the registry host: ``ghcr.io/flannel-io/flannel:v1`` ->
    ``<push_repository>/flannel-io/flannel:v1``, ``docker.io/library/nginx:1`` -> ``<push_repository>/library/nginx:1``.
    """
    repo = _repository(push_repository)
    targets = []
    for image in plan["images"]:
        parts = parse_image(image["name"])
        if image.get("origin") == "kubeadm":
            destination = kubeadm_image(image_component(image["name"]), parts["tag"], plan["kubernetes_version"], repo)
        else:
            path = parse_image(normalize_image(image["name"]))["name"].split("/", 1)[1]
            destination = "%s/%s:%s" % (repo, path, parts["tag"])
        targets.append({"file": image["file"], "name": image["name"], "destination": destination})
    return targets
