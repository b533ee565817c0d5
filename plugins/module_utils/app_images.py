# -*- coding: utf-8 -*-
# Copyright: kubelift maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image builds of the app_image role: what each build needs, checked before anything is built, and the
image reference it produces."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

KINDS = ("php", "php-debian", "python", "code", "nginx-debian")
_FIELDS = {
    "name", "kind", "tag", "src", "php_extensions", "pecl_extensions", "packages", "pip_packages",
    "requirements", "base_image", "exclude",
}
# Docker: repository path components and tags.
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REGISTRY = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9._/-]+)?$")
_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_PIP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-\[\],<>=!~]*$")


def image_reference(registry, build):
    """``<registry>/<name>:<tag>`` (``<name>:<tag>`` without a registry)."""
    repository = "%s/%s" % (registry.rstrip("/"), build["name"]) if registry else build["name"]
    return "%s:%s" % (repository, build["tag"])


def _words(build, key, pattern, where, problems):
    values = build.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) and pattern.match(v) for v in values):
        problems.append("%s.%s: must be a list of plain names (letters, digits, '.', '_', '-', '+')" % (where, key))


def image_build_problems(builds, registry, push):
    """Every problem of ``app_image_builds`` (with the registry settings), one line each."""
    if not isinstance(builds, list):
        return ["app_image_builds: must be a list, got %s" % type(builds).__name__]
    problems = []
    if push and not registry:
        problems.append("app_image_registry: is required to push (or set app_image_push: false)")
    if registry and not _REGISTRY.match(registry):
        problems.append("app_image_registry: %r is not host[:port][/path]" % registry)
    seen = {}
    for index, build in enumerate(builds):
        if not isinstance(build, dict):
            problems.append("app_image_builds[%d]: must be a dict" % index)
            continue
        where = "app_image_builds[%d] (%s)" % (index, build.get("name", "no name"))
        for key in sorted(set(build) - _FIELDS):
            problems.append("%s.%s: unknown field; known fields: %s" % (where, key, ", ".join(sorted(_FIELDS))))
        name = build.get("name")
        name_ok = isinstance(name, str) and bool(_REPOSITORY.match(name))
        if not name_ok:
            problems.append("%s.name: %r is not an image repository name (lower case, digits, '.', '_', '-', '/')" % (where, name))
        kind = build.get("kind")
        if kind not in KINDS:
            problems.append("%s.kind: must be one of %s, got %r" % (where, ", ".join(KINDS), kind))
        tag = build.get("tag")
        tag_ok = isinstance(tag, str) and bool(_TAG.match(tag))
        if not tag_ok:
            problems.append("%s.tag: %r is not an image tag (quote version numbers, e.g. \"1.4\")" % (where, tag))
        elif tag == "latest":
            problems.append("%s.tag: use a version, not latest: the app role rolls out a new tag, not a rebuilt latest" % where)
        # One repository may hold several tags (releases side by side); each name:tag is built once.
        if name_ok and tag_ok:
            if (name, tag) in seen:
                problems.append("%s: %s:%s is already built by app_image_builds[%d]" % (where, name, tag, seen[(name, tag)]))
            else:
                seen[(name, tag)] = index
        src = build.get("src", "")
        if src and (not isinstance(src, str) or not src.startswith("/")):
            problems.append("%s.src: must be an absolute directory on the build host" % where)
        if kind == "code" and not src:
            problems.append("%s.src: is required for a code image (the directory copied to /src)" % where)
        requirements = build.get("requirements", "")
        if requirements:
            if kind != "python":
                problems.append("%s.requirements: only applies to python images" % where)
            elif not src:
                problems.append("%s.requirements: needs src (the file is relative to it)" % where)
            elif requirements.startswith("/") or ".." in requirements.split("/"):
                problems.append("%s.requirements: must be a path relative to src, such as requirements.txt" % where)
        for key in ("php_extensions", "pecl_extensions"):
            if build.get(key) and kind not in ("php", "php-debian"):
                problems.append("%s.%s: only applies to php and php-debian images" % (where, key))
        if build.get("pecl_extensions") and kind == "php-debian":
            problems.append("%s.pecl_extensions: php-debian images take Debian packages (php_extensions or packages)" % where)
        if build.get("pip_packages") and kind != "python":
            problems.append("%s.pip_packages: only applies to python images" % where)
        if build.get("packages") and kind == "code":
            problems.append("%s.packages: code images have no package manager" % where)
        _words(build, "php_extensions", _WORD, where, problems)
        _words(build, "pecl_extensions", _WORD, where, problems)
        _words(build, "packages", _WORD, where, problems)
        _words(build, "pip_packages", _PIP, where, problems)
        exclude = build.get("exclude", [])
        if not isinstance(exclude, list) or not all(isinstance(p, str) and p and not p.startswith("-") for p in exclude):
            problems.append("%s.exclude: must be a list of rsync patterns such as .git or node_modules/" % where)
        if exclude and not src:
            problems.append("%s.exclude: needs src" % where)
        base = build.get("base_image", "")
        if base and (not isinstance(base, str) or " " in base):
            problems.append("%s.base_image: must be an image reference" % where)
    return problems
