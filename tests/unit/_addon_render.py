"""Render the add-on roles' templates exactly as the roles do, outside a play.

The roles apply ``lookup('ansible.builtin.template', NAME) | ansible.builtin.from_yaml_all | select | list``;
``render()`` evaluates that same expression with Ansible's own Templar, with the variables a play would have:
the shared ``kubelift`` defaults, the role's defaults and vars, then the case's overrides (extra-vars level).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import kubernetes_validate
import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[2]
ROLES_DIR = ROOT / "roles"
ADDON_ROLES = ("flannel", "coredns", "metrics_server", "ingress_nginx", "traefik", "monitoring", "logging")

_LOADER_READY = False


def _ensure_plugin_loader() -> None:
    """Install Ansible's collection loader for this checkout, unless it already is (tests/conftest.py does
    it under pytest; scripts such as hack/check-monitoring-config.sh import this module directly)."""
    global _LOADER_READY  # noqa: PLW0603 - one-time process setup
    if not _LOADER_READY:
        if not any(type(finder).__name__ == "_AnsibleCollectionFinder" for finder in sys.meta_path):
            init_plugin_loader([str(ROOT / ".collections")])
        _LOADER_READY = True


def _load_yaml_vars(loader: DataLoader, path: Path) -> dict:
    if not path.is_file():
        return {}
    return dict(loader.load_from_file(str(path), trusted_as_template=True) or {})


def role_variables(role: str, overrides: dict | None = None) -> dict:
    """Variables in scope for ``role`` in a play: kubelift defaults < role defaults < role vars < overrides."""
    _ensure_plugin_loader()
    loader = DataLoader()
    variables: dict = {}
    variables.update(_load_yaml_vars(loader, ROLES_DIR / "kubelift" / "defaults" / "main.yml"))
    variables.update(_load_yaml_vars(loader, ROLES_DIR / role / "defaults" / "main.yml"))
    variables.update(_load_yaml_vars(loader, ROLES_DIR / role / "vars" / "main.yml"))
    variables.update(
        {
            "inventory_hostname": "localhost",
            "role_path": str(ROLES_DIR / role),
            "role_name": f"kubelift.cluster.{role}",
        }
    )
    variables.update(overrides or {})
    return variables


def template_files(role: str) -> list[Path]:
    """Every template file of the role."""
    return sorted((ROLES_DIR / role / "templates").glob("*.j2"))


def applied_templates(role: str, variables: dict) -> list[str]:
    """Templates the role applies for these variables, in order: ``_<role>_templates`` then
    ``_<role>_secret_templates`` (objects carrying secrets, applied with no_log)."""
    names = []
    for list_name in (f"_{role}_templates", f"_{role}_secret_templates"):
        if list_name in variables:
            names.extend(evaluate(variables, "{{ %s }}" % list_name))
    return names


def _plain(value):
    """Drop Ansible's tagged types: a JSON round trip leaves plain dicts, lists, str, int, bool."""
    return json.loads(json.dumps(value))


def evaluate(variables: dict, expression: str):
    _ensure_plugin_loader()
    templar = Templar(loader=DataLoader(), variables=variables)
    return _plain(templar.template(trust_as_template(expression)))


def render(role: str, template: Path | str, variables: dict) -> list[dict]:
    """Objects rendered from one template of ``role``, as the role's k8s task receives them."""
    path = Path(template)
    if not path.is_absolute():
        path = ROLES_DIR / role / "templates" / path
    expression = (
        "{{ lookup('ansible.builtin.template', %s) | ansible.builtin.from_yaml_all | select | list }}"
        % json.dumps(str(path))
    )
    return evaluate(variables, expression)


def render_text(role: str, template: str, variables: dict) -> str:
    path = ROLES_DIR / role / "templates" / template
    return evaluate(variables, "{{ lookup('ansible.builtin.template', %s) }}" % json.dumps(str(path)))


# Importing this module makes kubelift.cluster (this checkout, via .collections) importable and its plugins loadable.
_ensure_plugin_loader()


def validate_strictly(obj: dict, version: str, label: str) -> None:
    """Fail the test, naming ``label``, the version and the path, unless ``obj`` passes Kubernetes ``version``'s
    schema strictly (no unknown fields)."""
    try:
        kubernetes_validate.validate(obj, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{label} invalid for {version} at {path}: {exc.message}")
