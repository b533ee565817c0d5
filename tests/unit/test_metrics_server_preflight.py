"""The metrics_server role's preflight, run with ansible-playbook on localhost: bad settings stop the role before
it reaches the Kubernetes API, with one message naming each variable and its fix; good settings get as far as the
API, and an unreachable one is reported with the variable to set."""

from pathlib import Path

import pytest

from _playbook import role_play, run_play

ROOT = Path(__file__).resolve().parents[2]

PLAYBOOK = role_play("metrics_server")

BAD = {
    "metrics_server_replicas": 0,
    "metrics_server_namespace": "Kube_System",
    "metrics_server_metric_resolution": "5s",
    "metrics_server_kubelet_preferred_address_types": ["InternalIP", "InternalIP"],
    "metrics_server_extra_args": {"--v": 2, "metric-resolution": "30s"},
    "metrics_server_resources": {"requests": {"cpu": "lots", "memory": "200Mi"}},
    "metrics_server_tolerations": [{"key": "dedicated", "operatr": "Exists"}],
}

# (variable, text the message must hold)
MISTAKES = [
    ("metrics_server_replicas", "metrics_server_replicas must be at least 1."),
    ("metrics_server_namespace", "metrics_server_namespace Kube_System is not a namespace name"),
    ("metrics_server_metric_resolution", "metrics_server_metric_resolution 5s is not a duration of at least 10s"),
    ("metrics_server_kubelet_preferred_address_types", "metrics_server_kubelet_preferred_address_types must list, without repeats"),
    ("metrics_server_extra_args (dashes)", "metrics_server_extra_args keys are flag names without the leading dashes (e.g. v, not --v): fix --v."),
    ("metrics_server_extra_args (role's flag)", "metrics_server_extra_args sets metric-resolution, which this role sets itself"),
    ("metrics_server_resources", "metrics_server_resources must be {requests: {...}, limits: {...}}"),
    ("metrics_server_tolerations", "metrics_server_tolerations must be Kubernetes tolerations"),
]


def _run(tmp_path, variables, *extra):
    return run_play(tmp_path, PLAYBOOK, variables, *extra)


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("bad"), BAD)


def test_bad_settings_fail_in_the_first_check(bad_run):
    code, output = bad_run
    assert code != 0, output
    assert output.count("fatal: [") == 1, output
    assert "TASK [kubelift.cluster.metrics_server : Metrics Server settings are consistent]" in output, output
    assert "Kubernetes API answers" not in output, output


@pytest.mark.parametrize(("variable", "text"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_bad_settings_are_named_with_their_fix(bad_run, variable, text):
    _code, output = bad_run
    assert text in output, "%s is not reported:\n%s" % (variable, output)


@pytest.mark.parametrize("extra", [(), ("--check",)], ids=["run", "check-mode"])
def test_good_settings_reach_for_the_api(tmp_path, extra):
    code, output = _run(tmp_path, {"metrics_server_kubeconfig": str(tmp_path / "missing-kubeconfig")}, *extra)
    assert code != 0, output
    assert "TASK [kubelift.cluster.metrics_server : Kubernetes API was reached]" in output, output
    assert "the Kubernetes API could not be reached with kubeconfig" in output, output
    assert "Set metrics_server_kubeconfig to an admin kubeconfig" in output, output
