"""Fixtures every scenario's testinfra verify can use (pytest finds this file
above each scenario's tests/ directory, since the repository is its rootdir)."""

import os
import re
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def check_mode_recap():
    """Run the scenario's converge.yml again with --check --diff on the converged
    nodes and return the recap as {host: changed count}. A converged fleet must
    predict no change, and check mode itself must not fail."""
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    playbook = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml"
    # Molecule exports ANSIBLE_FORCE_COLOR to its own runs: without this the
    # recap lines carry colour codes and do not parse (outside CI, which sets
    # ANSIBLE_NOCOLOR itself).
    env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), "--check", "--diff", str(playbook)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", run.stdout, re.MULTILINE)
    assert recap, run.stdout[-3000:]
    return {host: int(changed) for host, changed in recap}
