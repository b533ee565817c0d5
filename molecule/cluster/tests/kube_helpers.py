"""Helpers shared by the cluster scenario's verifier modules."""

import json
import os
import time

KUBECONFIG = os.environ["KUBECONFIG"]


def wait_until(predicate, timeout=180, step=2):
    """Call predicate until it returns something true or timeout seconds pass; return its last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(step)


def api_get(api, url, raw=False, **params):
    """GET from the API server (service proxy URLs included): parsed JSON, or the text with raw=True."""
    request = api.param_serialize("GET", url, query_params=list(params.items()), auth_settings=["BearerToken"])
    response = api.call_api(*request)
    response.read()
    assert response.status == 200, (url, response.status, response.data[:500])
    return response.data.decode() if raw else json.loads(response.data)
