# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which container images the kubelift add-on roles deploy, for a given set of variables.

Pure functions: the caller passes the (templated) role variables, for instance the roles' defaults merged
with the inventory, and gets back every image reference the add-on manifests will name. The bundle playbook
uses this to know what to pull and pack; the unit tests check it against the rendered manifests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Ingress controller when kubelift_ingress_controller is not set.
DEFAULT_INGRESS_CONTROLLER = "ingress-nginx"
INGRESS_CONTROLLERS = ("ingress-nginx", "traefik")
# The logging role's log agent and log store: each choice has its own image.
LOGGING_AGENTS = ("otel-collector", "fluent-bit")
LOGGING_BACKENDS = ("victorialogs", "loki")

# Variables that choose between components, and their values: another value is refused when the role is enabled.
_CHOICES = {"logging_agent": LOGGING_AGENTS, "logging_backend": LOGGING_BACKENDS}

# (enable variable, extra condition, image variable); the extra condition is (variable, expected value) or None.
# A component's image is listed when the role is enabled and the condition holds.
_COMPONENTS = (
    ("flannel_enabled", ("kubelift_cni", "flannel"), "flannel_image"),
    ("flannel_enabled", ("kubelift_cni", "flannel"), "flannel_cni_plugin_image"),
    ("coredns_enabled", None, "coredns_image"),
    ("coredns_enabled", ("coredns_nodelocaldns_enabled", True), "coredns_nodelocaldns_image"),
    ("metrics_server_enabled", None, "metrics_server_image"),
    ("ingress_nginx_enabled", ("kubelift_ingress_controller", "ingress-nginx"), "ingress_nginx_controller_image"),
    ("ingress_nginx_enabled", ("kubelift_ingress_controller", "ingress-nginx"), "ingress_nginx_certgen_image"),
    ("traefik_enabled", ("kubelift_ingress_controller", "traefik"), "traefik_image"),
    ("monitoring_enabled", None, "monitoring_prometheus_image"),
    ("monitoring_enabled", None, "monitoring_node_exporter_image"),
    ("monitoring_enabled", None, "monitoring_kube_state_metrics_image"),
    ("monitoring_enabled", ("monitoring_alertmanager_enabled", True), "monitoring_alertmanager_image"),
    ("monitoring_enabled", ("monitoring_grafana_enabled", True), "monitoring_grafana_image"),
    ("logging_enabled", ("logging_agent", "otel-collector"), "logging_otel_collector_image"),
    ("logging_enabled", ("logging_agent", "fluent-bit"), "logging_fluent_bit_image"),
    ("logging_enabled", ("logging_backend", "victorialogs"), "logging_victorialogs_image"),
    ("logging_enabled", ("logging_backend", "loki"), "logging_loki_image"),
)

# Images that may be empty: CoreDNS keeps the image kubeadm deployed when coredns_image is "".
_OPTIONAL_IMAGES = frozenset(["coredns_image"])

# name[:tag][@digest] with a registry part; a tag or a digest is required so a bundle is reproducible.
_IMAGE_RE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


def addon_image_variables():
    """Names of every variable addon_images() reads, sorted."""
    names = set()
    for enable, condition, image in _COMPONENTS:
        names.add(enable)
        names.add(image)
        if condition:
            names.add(condition[0])
    return sorted(names)


def _truthy(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def _lookup(variables, name, missing):
    if name == "kubelift_ingress_controller":
        return variables.get(name) or DEFAULT_INGRESS_CONTROLLER
    if name not in variables:
        missing.append(name)
        return None
    return variables[name]


def _check_image(variable, value):
    match = _IMAGE_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            "%s is %r, which is not an image reference of the form registry/path/name:tag (or @sha256:...); "
            "set it to a full reference such as docker.io/prom/prometheus:v3.16.0" % (variable, value)
        )
    if not match.group("tag") and not match.group("digest"):
        raise ValueError("%s is %r, which has neither a tag nor a digest: pin a version" % (variable, value))


def addon_images(variables):
    """Sorted, de-duplicated image references of the enabled add-on components.

    variables: mapping of the names in addon_image_variables() to their (templated) values. Every enable
    flag is required; the other names only when the component they concern is enabled (a disabled role's
    images may be left out); kubelift_ingress_controller defaults to ingress-nginx. Only the chosen ingress
    controller, log agent (logging_agent) and log store (logging_backend) count. Raises ValueError naming the
    variables that are missing, hold something that is not a pinned image reference, or choose a component
    that does not exist.
    """
    missing = []
    controller = _lookup(variables, "kubelift_ingress_controller", missing)
    if controller not in INGRESS_CONTROLLERS:
        raise ValueError(
            "kubelift_ingress_controller is %r; choose one of %s" % (controller, ", ".join(INGRESS_CONTROLLERS))
        )

    images = set()
    for enable, condition, image_var in _COMPONENTS:
        enabled = _lookup(variables, enable, missing)
        if not _truthy(enabled):
            continue
        if condition:
            name, expected = condition
            actual = _lookup(variables, name, missing)
            if name in missing:
                continue
            if name in _CHOICES and actual not in _CHOICES[name]:
                raise ValueError("%s is %r; choose one of %s" % (name, actual, ", ".join(_CHOICES[name])))
            if isinstance(expected, bool):
                if _truthy(actual) != expected:
                    continue
            elif actual != expected:
                continue
        value = _lookup(variables, image_var, missing)
        if image_var in missing or (image_var in _OPTIONAL_IMAGES and not value):
            continue
        _check_image(image_var, value)
        images.add(value)
    if missing:
        raise ValueError(
            "addon_images needs these variables (the add-on roles' defaults define them): %s"
            % ", ".join(sorted(set(missing)))
        )
    return sorted(images)
