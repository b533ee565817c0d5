"""Helpers shared by the cluster scenario's verifier modules."""

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
