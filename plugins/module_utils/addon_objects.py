# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which rendered add-on objects belong to which component.

Every object an add-on role renders carries the label ``app.kubernetes.io/name`` naming its component
(``prometheus``, ``grafana``, ``flannel`` ...). The roles use it to send some components to the API server
with a server-side dry run only (``<role>_dry_run``, ``monitoring_dry_run_components``) while the others are
applied for real.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

COMPONENT_LABEL = "app.kubernetes.io/name"


def component_of(obj):
    """The component an object belongs to (its app.kubernetes.io/name label), or None."""
    if not isinstance(obj, dict):
        raise ValueError("expected a Kubernetes object (a dict), got %s" % type(obj).__name__)
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return labels.get(COMPONENT_LABEL)


def _describe(obj):
    metadata = obj.get("metadata") or {}
    return "%s/%s" % (obj.get("kind", "?"), metadata.get("name", "?"))


def select_components(objects, components, exclude=False):
    """Objects of the given components (or, with exclude, all the others), in their original order.

    Selecting a component no object belongs to is an error: it is a misspelt name, and a silently empty
    selection would let a dry run pass without checking anything.
    """
    if not isinstance(objects, list):
        raise ValueError("expected a list of Kubernetes objects, got %s" % type(objects).__name__)
    wanted = set(components or [])
    present = set()
    selected = []
    for obj in objects:
        component = component_of(obj)
        present.add(component)
        if (component in wanted) != bool(exclude):
            selected.append(obj)
    unknown = sorted(wanted - present)
    if unknown:
        known = sorted(c for c in present if c)
        raise ValueError(
            "no object belongs to component(s) %s; the objects rendered here belong to: %s"
            % (", ".join(unknown), ", ".join(known) or "none")
        )
    return selected


def object_names(objects):
    """Kind/name of each object, for messages."""
    return [_describe(obj) for obj in objects]
