"""Every filter the collection registers has its own documentation file, plugins/filter/<name>.yml.

ansible-doc finds a filter's documentation next to the plugin file that registers it: the sidecar <name>.yml, unless
that plugin file carries a DOCUMENTATION of its own, which it then shows for every filter the file registers.
"""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FILTER_DIR = ROOT / "plugins" / "filter"
PLUGIN_FILES = sorted(p for p in FILTER_DIR.glob("*.py") if not p.name.startswith("_"))


def registered_filters(path: Path):
    """Names in the dict that FilterModule.filters() returns, read from the source (nothing is imported)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "FilterModule":
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "filters":
                    returns = [n.value for n in ast.walk(item) if isinstance(n, ast.Return)]
                    assert len(returns) == 1 and isinstance(returns[0], ast.Dict), (
                        f"{path.name}: filters() must return one dict literal")
                    return [key.value for key in returns[0].keys]
    return []


def _has_documentation(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    return any(isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets)
               for node in tree.body)


FILTERS = sorted((name, path) for path in PLUGIN_FILES for name in registered_filters(path))
FILTER_NAMES = [name for name, _path in FILTERS]


def _strings(value):
    """True for a string or a list of strings (what ansible-doc accepts as a description)."""
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(item, str) for item in value))


def _check_options(options, where):
    for name, spec in (options or {}).items():
        assert isinstance(spec, dict), f"{where}.{name} is not a mapping"
        assert _strings(spec.get("description")), (
            f"{where}.{name}: description must be a string or a list of strings (quote lines that hold ': ')")
        _check_options(spec.get("options") or spec.get("suboptions"), f"{where}.{name}")


def test_filters_are_found():
    assert len(FILTER_NAMES) == len(set(FILTER_NAMES)), "a filter name is registered twice"
    assert {"kubeadm_config", "pod_route_plan", "package_repo", "app_validate"} <= set(FILTER_NAMES)


@pytest.mark.parametrize("name,plugin", FILTERS, ids=[name for name, _path in FILTERS])
def test_filter_has_its_documentation_file(name, plugin):
    doc_file = FILTER_DIR / f"{name}.yml"
    assert doc_file.is_file(), f"filter {name} ({plugin.name}) has no plugins/filter/{name}.yml"
    docs = yaml.safe_load(doc_file.read_text())
    assert isinstance(docs, dict), f"{doc_file.name} is not a mapping"
    documentation = docs.get("DOCUMENTATION")
    assert isinstance(documentation, dict), f"{doc_file.name}: DOCUMENTATION is missing"
    assert documentation.get("name") == name, f"{doc_file.name}: DOCUMENTATION.name is {documentation.get('name')!r}"
    assert isinstance(documentation.get("short_description"), str), f"{doc_file.name}: no short_description"
    assert _strings(documentation.get("description")), (
        f"{doc_file.name}: description must be a string or a list of strings (quote lines that hold ': ')")
    assert "_input" in (documentation.get("options") or {}), f"{doc_file.name}: no _input option"
    _check_options(documentation.get("options"), f"{doc_file.name}: options")
    assert isinstance(docs.get("EXAMPLES"), str) and f"kubelift.cluster.{name}" in docs["EXAMPLES"], (
        f"{doc_file.name}: EXAMPLES must be a string that uses kubelift.cluster.{name}")
    assert "_value" in (docs.get("RETURN") or {}), f"{doc_file.name}: RETURN has no _value"


def test_every_documentation_file_belongs_to_a_filter():
    orphans = sorted(p.name for p in FILTER_DIR.glob("*.yml") if p.stem not in FILTER_NAMES)
    assert not orphans, f"documentation files without a registered filter: {orphans}"


@pytest.mark.parametrize("plugin", PLUGIN_FILES, ids=[p.name for p in PLUGIN_FILES])
def test_documentation_files_are_not_shadowed(plugin):
    names = registered_filters(plugin)
    assert not _has_documentation(plugin) or names == [plugin.stem], (
        f"{plugin.name} has a DOCUMENTATION of its own, so ansible-doc shows it for {', '.join(names)} "
        "instead of their .yml files: move it into the .yml files")
