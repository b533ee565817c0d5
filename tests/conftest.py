"""Make this checkout importable as ansible_collections.kubelift.cluster (what `make collection` links)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".collections"
_LINK = COLLECTIONS / "ansible_collections" / "kubelift" / "cluster"

if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(Path("..", "..", ".."))
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

# Role templates rendered through Ansible's Templar use this collection's filters: install Ansible's
# collection loader for the checkout before any test imports ansible_collections.*, so that every import
# goes through the same finder.
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", str(COLLECTIONS))
from ansible.plugins.loader import init_plugin_loader  # noqa: E402  (needs the path above)

init_plugin_loader([str(COLLECTIONS)])
