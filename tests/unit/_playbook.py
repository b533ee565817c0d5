"""Run a small playbook on localhost with the checkout's collection, as the role preflight tests do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def role_play(role: str, tasks_from: str = "") -> str:
    """A play on localhost (the interpreter that runs Ansible) applying kubelift.cluster.<role>, or only its
    ``tasks_from`` file."""
    head = ("---\n- name: %s\n  hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n"
            "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n" % role)
    if tasks_from:
        return head + ("  tasks:\n    - name: %s of %s\n      ansible.builtin.include_role:\n"
                       "        name: kubelift.cluster.%s\n        tasks_from: %s\n" % (tasks_from, role, role, tasks_from))
    return head + "  roles:\n    - role: kubelift.cluster.%s\n" % role


def run_play(tmp_path: Path, playbook: str, variables: dict, *extra: str, env: dict | None = None) -> tuple[int, str]:
    """Write ``playbook`` and ``variables`` (passed with -e @file) into tmp_path, run it against localhost with no
    kubeconfig of the caller's, and return (exit code, stdout + stderr). ``env`` adds environment variables."""
    (tmp_path / "play.yml").write_text(playbook)
    (tmp_path / "vars.json").write_text(json.dumps(variables))
    environment = dict(os.environ)
    environment.pop("K8S_AUTH_KUBECONFIG", None)
    environment.pop("KUBECONFIG", None)
    environment.update({
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "ANSIBLE_CACHE_PLUGIN": "memory",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PATH": "%s%s%s" % (ANSIBLE_PLAYBOOK.parent, os.pathsep, environment.get("PATH", "")),
    })
    environment.update(env or {})
    result = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(tmp_path / "play.yml"), "-e", "@%s" % (tmp_path / "vars.json"),
         *extra],
        cwd=str(ROOT), env=environment, capture_output=True, text=True, timeout=300, check=False,
    )
    return result.returncode, result.stdout + result.stderr
