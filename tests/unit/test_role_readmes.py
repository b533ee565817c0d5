"""Every role has a README (Galaxy's importer needs one), and a README names only variables that exist.

A backquoted name such as `cni_bin_dir` or `kubelift_cni: bridge` whose prefix is a role's name (`<role>_`) must be
an option of the collection's argument_specs: any role's top-level option, a nested option of the README's own role
(the app role's spec fields), a public fact a role's tasks set (`control_plane_certificate_key`), a role's tag
(`cni_preflight`) or a role's name (`node_join`). So README and argument_specs cannot drift apart.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())
ROLE_NAMES = [p.name for p in ROLES]

# A backquoted identifier, alone (`cni_bin_dir`) or leading a setting or expression (`kubelift_cni: bridge`,
# `lab_state=down`, `app_apps | ...`). Private names (`_kubelift_is_container`) start with "_" and are not matched.
_MENTION = re.compile(r"`([A-Za-z][A-Za-z0-9_]*)(?=[`:=\[ ])")


def _load(path: Path):
    return yaml.safe_load(path.read_text()) or {}


def _option_names(options, nested):
    """Names of an argument_specs options mapping; with nested, those of every level below too."""
    names = set()
    for name, spec in (options or {}).items():
        names.add(name)
        if nested and isinstance(spec, dict):
            names |= _option_names(spec.get("options"), nested)
    return names


def _spec_options(role: Path, nested=False):
    specs = _load(role / "meta" / "argument_specs.yml").get("argument_specs") or {}
    names = set()
    for entry_point in specs.values():
        names |= _option_names((entry_point or {}).get("options"), nested)
    return names


def _set_fact_names(node):
    """Public (not "_"-prefixed) names that set_fact tasks in a parsed task file set."""
    if isinstance(node, list):
        for item in node:
            yield from _set_fact_names(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("ansible.builtin.set_fact", "set_fact") and isinstance(value, dict):
                yield from (name for name in value if not name.startswith("_") and name != "cacheable")
            else:
                yield from _set_fact_names(value)


def _tag_names(node):
    """Tags named anywhere in a parsed task file (task, block, import and apply tags)."""
    if isinstance(node, list):
        for item in node:
            yield from _tag_names(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "tags":
                yield from ([value] if isinstance(value, str) else value or [])
            else:
                yield from _tag_names(value)


TASK_FILES = sorted((ROOT / "roles").glob("*/tasks/**/*.yml")) + sorted((ROOT / "roles").glob("*/handlers/*.yml"))
ALL_OPTIONS = set().union(*(_spec_options(role) for role in ROLES))
PUBLIC_FACTS = set().union(*(set(_set_fact_names(_load(path))) for path in TASK_FILES))
TAGS = set().union(*(set(_tag_names(_load(path))) for path in TASK_FILES))


def _owner(name):
    """The role whose prefix the name carries (the longest: app_image_builds belongs to app_image), or None."""
    owners = [role for role in ROLE_NAMES if name.startswith(role + "_")]
    return max(owners, key=len) if owners else None


def mentioned_variables(text):
    """Backquoted names in a README that carry a role prefix."""
    return {name for name in _MENTION.findall(text) if _owner(name)}


def test_mentions_are_found():
    text = ("`cni_bin_dir` and `kubelift_cni: bridge`, `lab_state=down`, `app_image_builds`, `_kubelift_is_container`,"
            " `kubectl get nodes`, `monitoring_alert_*`, `<role>_enabled`, cni_plain_words.")
    assert mentioned_variables(text) == {"cni_bin_dir", "kubelift_cni", "lab_state", "app_image_builds"}
    assert _owner("app_image_builds") == "app_image"
    assert "control_plane_certificate_key" in PUBLIC_FACTS
    assert {"cni_preflight", "lab_up"} <= TAGS


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_has_a_readme_that_names_it(role):
    readme = role / "README.md"
    assert readme.is_file(), f"{role.name}: README.md is missing (Galaxy's importer stops at 'No role readme found')"
    headings = [line for line in readme.read_text().splitlines() if line.startswith("# ")]
    assert headings, f"{role.name}: README.md has no title"
    assert re.search(rf"\bkubelift\.cluster\.{role.name}\b", headings[0]), (
        f"{role.name}: the README's title {headings[0]!r} does not name kubelift.cluster.{role.name}")


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_variables_exist_in_argument_specs(role):
    readme = role / "README.md"
    if not readme.is_file():
        pytest.skip("no README (test_role_has_a_readme_that_names_it fails)")
    known = ALL_OPTIONS | _spec_options(role, nested=True) | PUBLIC_FACTS | TAGS | set(ROLE_NAMES)
    unknown = sorted(name for name in mentioned_variables(readme.read_text()) if name not in known)
    assert not unknown, (
        f"{role.name}/README.md names variables that no argument_specs has: "
        + ", ".join(f"{name} (not in roles/{_owner(name)}/meta/argument_specs.yml)" for name in unknown))


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_readme_documents_the_role_variables(role):
    readme = role / "README.md"
    own = {name for name in _spec_options(role) if name.startswith(role.name + "_")}
    if not readme.is_file() or not own:
        pytest.skip("no README or no variables")
    assert mentioned_variables(readme.read_text()) & own, (
        f"{role.name}/README.md mentions none of the role's variables ({', '.join(sorted(own)[:3])} ...)")
