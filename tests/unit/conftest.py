"""Make `ansible_collections.kubelift.cluster` importable from a checkout (`make collection` links it)."""

import os
import sys
from pathlib import Path

_COLLECTIONS = Path(__file__).resolve().parents[2] / ".collections"
if not (_COLLECTIONS / "ansible_collections" / "kubelift" / "cluster").exists():
    raise RuntimeError(f"{_COLLECTIONS} does not hold kubelift.cluster: run `make collection` first")
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))

# Filters of this collection must resolve when tests render role templates through Ansible's Templar.
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(_COLLECTIONS))
