"""Fixtures of the cluster scenario's verifier: Kubernetes API clients for the scenario's admin kubeconfig."""

import pytest
from kubernetes import client, config

from kube_helpers import KUBECONFIG


@pytest.fixture(scope="module")
def api():
    config.load_kube_config(config_file=KUBECONFIG)
    return client.ApiClient()


@pytest.fixture(scope="module")
def core(api):
    return client.CoreV1Api(api)
