"""addon_images(): the image list a bundle needs, checked on its own and against the rendered manifests."""

from __future__ import annotations

import pytest

from _addon_render import ADDON_ROLES, ROLES_DIR, evaluate, role_variables
from ansible_collections.kubelift.cluster.plugins.module_utils.addon_images import (
    addon_image_variables,
    addon_images,
)


def all_addon_variables(overrides: dict | None = None) -> dict:
    """The templated values of every variable addon_images reads, from the roles' defaults (plus overrides)."""
    variables: dict = {}
    for role in ADDON_ROLES:
        if (ROLES_DIR / role).is_dir():
            variables.update(role_variables(role))
    variables.update(overrides or {})
    names = [n for n in addon_image_variables() if n in variables]
    return evaluate(variables, "{{ {%s} }}" % ", ".join(f"{n!r}: {n}" for n in names))


def _synthetic(**overrides):
    base = {name: False for name in addon_image_variables() if name.endswith("_enabled")}
    base.update({name: f"registry.example/{name}:1.0" for name in addon_image_variables() if name.endswith("_image")})
    base.update({"kubelift_cni": "flannel", "kubelift_ingress_controller": "ingress-nginx", "coredns_image": "",
                 "logging_agent": "fluent-bit", "logging_backend": "loki"})
    base.update(overrides)
    return base


def test_nothing_enabled_means_no_images():
    assert addon_images(_synthetic()) == []


def test_flannel_only_with_the_flannel_cni():
    assert addon_images(_synthetic(flannel_enabled=True)) == [
        "registry.example/flannel_cni_plugin_image:1.0",
        "registry.example/flannel_image:1.0",
    ]
    assert addon_images(_synthetic(flannel_enabled=True, kubelift_cni="bridge")) == []


def test_ingress_controller_choice():
    both = {"ingress_nginx_enabled": True, "traefik_enabled": True}
    assert addon_images(_synthetic(**both)) == [
        "registry.example/ingress_nginx_certgen_image:1.0",
        "registry.example/ingress_nginx_controller_image:1.0",
    ]
    assert addon_images(_synthetic(kubelift_ingress_controller="traefik", **both)) == ["registry.example/traefik_image:1.0"]
    variables = _synthetic(**both)
    del variables["kubelift_ingress_controller"]
    assert "registry.example/ingress_nginx_controller_image:1.0" in addon_images(variables)
    with pytest.raises(ValueError, match="kubelift_ingress_controller"):
        addon_images(_synthetic(kubelift_ingress_controller="haproxy"))


def test_logging_agent_and_backend_choice():
    """Each agent x store combination lists its two images and no other; an unknown choice is named."""
    for agent, agent_image in (("otel-collector", "logging_otel_collector_image"), ("fluent-bit", "logging_fluent_bit_image")):
        for backend, backend_image in (("victorialogs", "logging_victorialogs_image"), ("loki", "logging_loki_image")):
            images = addon_images(_synthetic(logging_enabled=True, logging_agent=agent, logging_backend=backend))
            assert images == sorted([f"registry.example/{agent_image}:1.0", f"registry.example/{backend_image}:1.0"])
    assert addon_images(_synthetic(logging_agent="syslog-ng")) == []  # logging is disabled: its choice is not read
    with pytest.raises(ValueError, match="logging_agent is 'syslog-ng'; choose one of otel-collector, fluent-bit"):
        addon_images(_synthetic(logging_enabled=True, logging_agent="syslog-ng"))
    with pytest.raises(ValueError, match="logging_backend is 'elasticsearch'; choose one of victorialogs, loki"):
        addon_images(_synthetic(logging_enabled=True, logging_backend="elasticsearch"))
    variables = _synthetic(logging_enabled=True)
    del variables["logging_backend"]
    with pytest.raises(ValueError, match="needs these variables .*: logging_backend"):
        addon_images(variables)


def test_optional_components():
    on = _synthetic(monitoring_enabled=True, monitoring_alertmanager_enabled=True, monitoring_grafana_enabled="true")
    off = _synthetic(monitoring_enabled=True, monitoring_alertmanager_enabled=False, monitoring_grafana_enabled=False)
    assert set(addon_images(on)) - set(addon_images(off)) == {
        "registry.example/monitoring_alertmanager_image:1.0",
        "registry.example/monitoring_grafana_image:1.0",
    }
    assert addon_images(_synthetic(metrics_server_enabled=True)) == ["registry.example/metrics_server_image:1.0"]
    dns = _synthetic(coredns_enabled=True, coredns_nodelocaldns_enabled=True)
    assert addon_images(dns) == ["registry.example/coredns_nodelocaldns_image:1.0"]
    dns["coredns_image"] = "registry.example/coredns/coredns:v1.12.1"
    assert "registry.example/coredns/coredns:v1.12.1" in addon_images(dns)


def test_duplicates_collapse_and_output_is_sorted():
    variables = _synthetic(logging_enabled=True, logging_fluent_bit_image="b.example/x:1", logging_loki_image="a.example/y:1")
    assert addon_images(variables) == ["a.example/y:1", "b.example/x:1"]
    variables["logging_loki_image"] = "b.example/x:1"
    assert addon_images(variables) == ["b.example/x:1"]


@pytest.mark.parametrize(
    "bad",
    ["", "prometheus", "docker.io/prom/prometheus", "docker.io/prom/prometheus:", "docker.io/Prom/prometheus:v1", None],
)
def test_unpinned_or_malformed_images_are_refused(bad):
    with pytest.raises(ValueError, match="logging_loki_image"):
        addon_images(_synthetic(logging_enabled=True, logging_loki_image=bad))


def test_digest_references_are_accepted():
    digest = "docker.io/grafana/loki@sha256:" + "0" * 64
    assert addon_images(_synthetic(logging_enabled=True, logging_loki_image=digest, logging_fluent_bit_image=digest)) == [digest]


def test_missing_variables_are_named():
    variables = _synthetic()
    del variables["monitoring_prometheus_image"]
    assert addon_images(variables) == []  # monitoring is disabled: its images are not needed
    variables["monitoring_enabled"] = True
    with pytest.raises(ValueError, match="monitoring_prometheus_image"):
        addon_images(variables)
    del variables["logging_enabled"]
    with pytest.raises(ValueError, match="logging_enabled, monitoring_prometheus_image"):
        addon_images(variables)


def test_every_image_variable_in_the_role_defaults_is_catalogued():
    names = set(addon_image_variables())
    for role in ADDON_ROLES:
        defaults = ROLES_DIR / role / "defaults" / "main.yml"
        if not defaults.is_file():
            continue
        for line in defaults.read_text().splitlines():
            name = line.split(":", 1)[0]
            if name.endswith("_image"):
                assert name in names, f"{role}: {name} is not known to addon_images"


def test_defaults_give_upstream_images():
    """With the roles' defaults: every enabled component's upstream image (CoreDNS keeps kubeadm's image,
    NodeLocal DNSCache is off, ingress-nginx is the default controller, the OpenTelemetry Collector ships to VictoriaLogs)."""
    assert addon_images(all_addon_variables()) == [
        "docker.io/grafana/grafana:12.3.1",
        "docker.io/otel/opentelemetry-collector-k8s:0.165.1",
        "docker.io/prom/alertmanager:v0.28.1",
        "docker.io/prom/node-exporter:v1.9.1",
        "docker.io/prom/prometheus:v3.16.0",
        "docker.io/victoriametrics/victoria-logs:v1.52.2",
        "ghcr.io/flannel-io/flannel-cni-plugin:v1.8.0-flannel1",
        "ghcr.io/flannel-io/flannel:v0.27.4",
        "registry.k8s.io/ingress-nginx/controller:v1.14.3",
        "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.7",
        "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
        "registry.k8s.io/metrics-server/metrics-server:v0.8.0",
    ]


def test_one_registry_variable_per_role_moves_all_its_images():
    mirror = "mirror.example:5000/cache"
    overrides = {f"{role}_registry": mirror for role in ADDON_ROLES}
    overrides.update({"kubelift_ingress_controller": "traefik", "coredns_nodelocaldns_enabled": True})
    images = addon_images(all_addon_variables(overrides))
    assert images and all(image.startswith(mirror + "/") for image in images), images
    assert mirror + "/library/traefik:v3.6.12" in images
    assert mirror + "/kube-state-metrics/kube-state-metrics:v2.20.0" in images
    assert mirror + "/dns/k8s-dns-node-cache:1.26.4" in images
    assert mirror + "/metrics-server/metrics-server:v0.8.0" in images
    assert mirror + "/otel/opentelemetry-collector-k8s:0.165.1" in images
