"""select_components(): which rendered add-on objects are applied for real and which are only dry-run."""

from __future__ import annotations

import pytest

from ansible_collections.kubelift.cluster.plugins.module_utils.addon_objects import (
    component_of,
    object_names,
    select_components,
)
from test_addon_manifests import objects


def _obj(kind, name, component=None):
    labels = {"app.kubernetes.io/part-of": "kubelift"}
    if component:
        labels["app.kubernetes.io/name"] = component
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "labels": labels}}


OBJECTS = [
    _obj("ServiceAccount", "prometheus", "prometheus"),
    _obj("ConfigMap", "grafana-datasources", "grafana"),
    _obj("Deployment", "prometheus", "prometheus"),
    _obj("Service", "grafana", "grafana"),
    _obj("ConfigMap", "unlabelled"),
]


def test_component_is_the_name_label():
    assert component_of(OBJECTS[0]) == "prometheus"
    assert component_of(OBJECTS[4]) is None
    assert component_of({"kind": "ConfigMap"}) is None


def test_selection_and_its_complement_partition_the_objects_in_order():
    chosen = select_components(OBJECTS, ["grafana"])
    others = select_components(OBJECTS, ["grafana"], exclude=True)
    assert object_names(chosen) == ["ConfigMap/grafana-datasources", "Service/grafana"]
    assert object_names(others) == ["ServiceAccount/prometheus", "Deployment/prometheus", "ConfigMap/unlabelled"]


def test_empty_selection_keeps_everything_for_the_real_apply():
    assert select_components(OBJECTS, [], exclude=True) == OBJECTS
    assert select_components(OBJECTS, []) == []


def test_unknown_component_is_refused_with_what_exists():
    with pytest.raises(ValueError, match=r"component\(s\) grafna; the objects rendered here belong to: grafana, prometheus"):
        select_components(OBJECTS, ["grafna"])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="expected a list"):
        select_components({"kind": "ConfigMap"}, ["x"])
    with pytest.raises(ValueError, match="expected a Kubernetes object"):
        select_components([OBJECTS[0], "Deployment"], ["prometheus"])


def test_lab_monitoring_split_runs_prometheus_and_node_exporter_for_real():
    """The lab's setting: Prometheus and node-exporter applied, the rest of the stack dry-run only."""
    rendered = [o for o in objects("monitoring", "lab-static-discovery-dry-run") if o["kind"] != "Namespace"]
    dry = ["kube-state-metrics", "alertmanager", "grafana"]
    real = select_components(rendered, dry, exclude=True)
    assert {component_of(o) for o in real} == {"prometheus", "node-exporter"}
    assert {component_of(o) for o in select_components(rendered, dry)} == set(dry)
    assert {(o["kind"], o["metadata"]["name"]) for o in real} >= {("Deployment", "prometheus"), ("DaemonSet", "node-exporter")}
