"""Conventions every role of the collection keeps, checked on the files themselves."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())


def _load(path: Path):
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_match_defaults(role):
    spec_file = role / "meta" / "argument_specs.yml"
    assert spec_file.is_file(), f"{role.name}: meta/argument_specs.yml is missing"
    options = _load(spec_file)["argument_specs"]["main"].get("options", {})
    defaults_file = role / "defaults" / "main.yml"
    defaults = _load(defaults_file) if defaults_file.is_file() else {}
    assert set(defaults) == set(options), (
        f"{role.name}: defaults and argument_specs differ: "
        f"only in defaults {sorted(set(defaults) - set(options))}, "
        f"only in argument_specs {sorted(set(options) - set(defaults))}"
    )
    for name, value in defaults.items():
        assert options[name].get("default") == value, f"{role.name}: default of {name} differs from argument_specs"
        assert options[name].get("description"), f"{role.name}: {name} has no description"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_variable_prefixes(role):
    defaults_file = role / "defaults" / "main.yml"
    if defaults_file.is_file():
        for name in _load(defaults_file):
            assert name.startswith(f"{role.name}_"), f"{role.name}: public variable {name} lacks the role prefix"
    vars_file = role / "vars" / "main.yml"
    if vars_file.is_file():
        for name in _load(vars_file):
            assert name.startswith(f"_{role.name}_"), f"{role.name}: internal variable {name} must start with _{role.name}_"


TEMPLATES = sorted((ROOT / "roles").glob("*/templates/**/*.j2"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_start_with_ansible_managed(template):
    head = template.read_text().splitlines()[:3]
    assert any("ansible_managed" in line for line in head), f"{template}: no ansible_managed header"
