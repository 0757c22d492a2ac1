"""Make the checkout importable as ansible_collections.pifleet.swarm.

`make venv` links the checkout at build/collections/ansible_collections/pifleet/swarm;
Ansible's collection finder (installed below) finds it there and the venv's
collections (community.docker) beside it.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = ROOT / "build" / "collections"
if not (LINK / "ansible_collections" / "pifleet" / "swarm").exists():
    raise RuntimeError(f"{LINK} has no pifleet/swarm link: run `make venv` first")
sys.path.insert(0, str(LINK))

# Ansible's collection finder, as ansible-playbook (and ansible-test units)
# install it: plugins that load other plugins (the image_stream action loads
# the ssh connection plugin) need it, and it must come before the first import
# of the collection so that the collection's metadata is read.
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(LINK)])
