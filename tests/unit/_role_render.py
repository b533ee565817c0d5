"""Render a role's templates the way Ansible would: role defaults and vars (templated lazily), test overrides."""

from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[2]


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


def _role_vars(role):
    merged = {}
    for kind in ("defaults", "vars"):
        path = ROOT / "roles" / role / kind / "main.yml"
        if path.is_file():
            merged.update(yaml.safe_load(path.read_text()) or {})
    return merged


def render(role, template, overrides, roles=("kubelift",)):
    """Render roles/<role>/templates/<template> with the variables of `roles` + role, then `overrides`."""
    variables = {}
    for name in (*roles, role):
        variables.update(_trusted(_role_vars(name)))
    variables["ansible_managed"] = "Ansible managed"
    variables["role_path"] = str(ROOT / "roles" / role)
    variables["playbook_dir"] = str(ROOT / "playbooks")
    variables.update(_trusted(overrides))
    templar = Templar(loader=DataLoader(), variables=variables)
    source = (ROOT / "roles" / role / "templates" / template).read_text()
    return templar.template(trust_as_template(source))


def expression(role, text, overrides, roles=("kubelift",)):
    """Evaluate one Jinja expression with the same variables (for vars/main.yml logic)."""
    variables = {}
    for name in (*roles, role):
        variables.update(_trusted(_role_vars(name)))
    variables["role_path"] = str(ROOT / "roles" / role)
    variables["playbook_dir"] = str(ROOT / "playbooks")
    variables.update(_trusted(overrides))
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template(text))
