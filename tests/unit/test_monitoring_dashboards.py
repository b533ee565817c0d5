"""The monitoring role's Grafana dashboards (roles/monitoring/files/dashboards) as Grafana gets them.

- Every file is a dashboard (JSON, uid = file name) and is provisioned (vars: _monitoring_dashboards).
- For every logs backend, the data source uids the rendered dashboards use (panels, targets, variables) are the
  uids of the provisioned data sources, with the same type; the logs panels follow the backend.
- Every PromQL expression (panel targets, variable queries) parses (promql-parser, the Rust parser of PromQL),
  and every recorded series it names is recorded by the role's rules.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import promql_parser
import pytest
import yaml

from _addon_render import ROLES_DIR, evaluate, render, role_variables

DASHBOARDS = ROLES_DIR / "monitoring" / "files" / "dashboards"
BACKENDS = ("victorialogs", "loki", "none")
LOGS_TYPES = {"victorialogs": "victoriametrics-logs-datasource", "loki": "loki"}
# Grafana's interval variables, as Prometheus durations.
GRAFANA_INTERVALS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h", "${__range}": "1h"}
# A name of a recording rule: level:metric:operations.
RECORDED = re.compile(r"\b[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+\b")


@lru_cache(maxsize=None)
def _rendered(backend: str) -> str:
    variables = role_variables("monitoring", {"_monitoring_grafana_password": "x" * 12,
                                              "monitoring_grafana_logs_backend": backend})
    return json.dumps(render("monitoring", "grafana.yaml.j2", variables))


def rendered(backend: str, name: str) -> dict:
    return [o for o in json.loads(_rendered(backend)) if o["metadata"]["name"] == name][0]


def datasources(backend: str) -> dict[str, dict]:
    config = yaml.safe_load(rendered(backend, "grafana-datasources")["data"]["kubelift.yaml"])
    return {d["uid"]: d for d in config["datasources"]}


def dashboards(backend: str) -> dict[str, dict]:
    return {name: json.loads(text) for name, text in rendered(backend, "grafana-dashboards")["data"].items()}


def references(dashboard: dict):
    """(where, datasource ref) of every panel, target and templating variable."""
    for panel in dashboard["panels"]:
        yield f"panel {panel['title']!r}", panel["datasource"]
        for target in panel.get("targets", []):
            yield f"panel {panel['title']!r} target {target['refId']}", target.get("datasource", panel["datasource"])
    for variable in dashboard.get("templating", {}).get("list", []):
        if "datasource" in variable:
            yield f"variable {variable['name']}", variable["datasource"]


def promql(expression: str) -> str:
    for variable, value in GRAFANA_INTERVALS.items():
        expression = expression.replace(variable, value)
    return expression


def prometheus_expressions(dashboard: dict):
    """(where, PromQL) of every Prometheus target and query variable (label_values(selector, label): the selector)."""
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            if target.get("datasource", panel["datasource"])["uid"] == "prometheus":
                yield f"panel {panel['title']!r} target {target['refId']}", target["expr"]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            match = re.fullmatch(r"label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)", query)
            yield f"variable {variable['name']}", match.group(1) if match else query


@lru_cache(maxsize=None)
def recorded_names() -> frozenset[str]:
    variables = role_variables("monitoring", {"_monitoring_grafana_password": "x" * 12})
    rules = [o for o in render("monitoring", "prometheus.yaml.j2", variables) if o["metadata"]["name"] == "prometheus-rules"][0]
    groups = yaml.safe_load(rules["data"]["kubelift.yml"])["groups"]
    return frozenset(r["record"] for g in groups for r in g["rules"] if "record" in r)


FILES = sorted(DASHBOARDS.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_dashboard_file_is_a_provisioned_dashboard(path):
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] == path.stem
    assert dashboard["title"].startswith("kubelift / ")
    assert dashboard["panels"], f"{path.name}: no panels"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), f"{path.name}: panel ids repeat"
    variables = role_variables("monitoring", {"_monitoring_grafana_password": "x" * 12})
    assert path.name in evaluate(variables, "{{ _monitoring_dashboards }}")


def test_every_provisioned_dashboard_has_its_file():
    variables = role_variables("monitoring", {"_monitoring_grafana_password": "x" * 12})
    assert sorted(evaluate(variables, "{{ _monitoring_dashboards }}")) == [p.name for p in FILES]


def test_the_required_dashboards_are_there():
    titles = {json.loads(p.read_text())["uid"] for p in FILES}
    assert {"kubelift-cluster", "kubelift-workloads", "kubelift-apiserver-etcd", "kubelift-coredns",
            "kubelift-ingress"} <= titles


@pytest.mark.parametrize("backend", BACKENDS)
def test_datasource_uids_are_provisioned(backend):
    provisioned = datasources(backend)
    assert provisioned["prometheus"]["type"] == "prometheus"
    if backend == "none":
        assert set(provisioned) == {"prometheus"}
    else:
        assert provisioned["logs"]["type"] == LOGS_TYPES[backend]
    for name, dashboard in dashboards(backend).items():
        for where, ref in references(dashboard):
            assert ref["uid"] in provisioned, f"{backend}: {name} {where} uses data source {ref['uid']}, not provisioned"
            if "type" in ref:
                assert ref["type"] == provisioned[ref["uid"]]["type"], f"{backend}: {name} {where}: type {ref['type']}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_logs_panels_follow_the_backend(backend):
    rendered_dashboards = dashboards(backend)
    logs_panels = [p for d in rendered_dashboards.values() for p in d["panels"] if p["type"] == "logs"]
    assert not [p for d in rendered_dashboards.values() for p in d["panels"] if "kubeliftLogsBackend" in p]
    if backend == "none":
        assert logs_panels == []
    else:
        assert len(logs_panels) == 1
        assert logs_panels[0]["datasource"] == {"type": LOGS_TYPES[backend], "uid": "logs"}
    # The panels shared by every backend are kept whole.
    assert len(rendered_dashboards["kubelift-nodes.json"]["panels"]) == len(
        json.loads((DASHBOARDS / "kubelift-nodes.json").read_text())["panels"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_promql_expression_parses(path):
    dashboard = json.loads(path.read_text())
    expressions = list(prometheus_expressions(dashboard))
    assert expressions
    for where, expression in expressions:
        try:
            promql_parser.parse(promql(expression))
        except ValueError as exc:
            pytest.fail(f"{path.name} {where}: {expression!r} does not parse: {exc}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_recorded_series_the_dashboards_use_are_recorded(path):
    dashboard = json.loads(path.read_text())
    for where, expression in prometheus_expressions(dashboard):
        for name in RECORDED.findall(expression):
            assert name in recorded_names(), f"{path.name} {where}: {name} is not recorded by the role's rules"


def test_the_parser_rejects_what_it_must():
    """promql-parser does fail on broken PromQL (so the test above can fail)."""
    for broken in ("sum(rate(x[5m])", 'x{a="b"', "rate(x[$__rate_interval])", "1 +"):
        with pytest.raises(ValueError):
            promql_parser.parse(broken)
    assert promql_parser.parse(promql("rate(x[$__rate_interval])"))
