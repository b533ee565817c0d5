"""Make this checkout importable as ansible_collections.kubelift.cluster (what `make collection` links)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".collections"
_LINK = COLLECTIONS / "ansible_collections" / "kubelift" / "cluster"

if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(Path("..", "..", ".."))
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
