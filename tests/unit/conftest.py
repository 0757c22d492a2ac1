"""Make the checkout importable as ansible_collections.pifleet.swarm.

`make venv` links the checkout at build/collections/ansible_collections/pifleet/swarm;
ansible_collections is a namespace package, so this path and the venv's
(community.docker) merge.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = ROOT / "build" / "collections"
if not (LINK / "ansible_collections" / "pifleet" / "swarm").exists():
    raise RuntimeError(f"{LINK} has no pifleet/swarm link: run `make venv` first")
sys.path.insert(0, str(LINK))
