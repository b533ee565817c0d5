"""The script-driven integration checks, run by `make test` (`pytest tests/integration`).

Each script exits non-zero when one of its own checks fails and prints what it checked:
- tests/integration/app-runtime.sh: the nginx and php-fpm configuration the app manifests generate, run with
  Debian's nginx and php-fpm the way the pods run them (needs the kubelift/debian:bookworm base image);
- tests/integration/app-role.sh: the app role against a node-less Kubernetes control plane of the lab's release
  (K8S_VERSION, default 1.36.3: hack/api-only.sh) (deploy with PDB policy/v1 and HPA autoscaling/v2, idempotence,
  secrets kept out of -vvv output, check mode, failed rollout rolled back, config pruning);
- hack/check-addons-api.sh: every add-on role against such a control plane, as a dry run and in three variants
  (check mode, converge, and a second converge that changes nothing; the switch to Traefik).
They need a Docker engine, the Kubernetes build (hack/build-kubernetes.sh) and the lab bundle (`make bundle`, for
the etcd image registry.k8s.io/etcd:3.6.8-0 that hack/api-only.sh runs).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ["tests/integration/app-runtime.sh", "tests/integration/app-role.sh", "hack/check-addons-api.sh"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_passes(script):
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
    )
    run = subprocess.run(["bash", str(ROOT / script)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    print(run.stdout[-4000:])
    assert run.returncode == 0, f"{script} failed (rc {run.returncode}):\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
