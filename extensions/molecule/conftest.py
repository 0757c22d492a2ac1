"""Fixtures every scenario's testinfra verify can use (pytest finds this file
above each scenario's tests/ directory, since the repository is its rootdir)."""

import os
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest


class Run(NamedTuple):
    rc: int
    out: str  # stdout + stderr
    changed: dict[str, int]  # the PLAY RECAP as {host: changed count}


def _converge_again(*extra: str) -> Run:
    """Run the scenario's converge.yml again from the controller, on the
    nodes molecule made, with extra ansible-playbook arguments."""
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    playbook = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml"
    # Molecule exports ANSIBLE_FORCE_COLOR to its own runs: without this the
    # recap lines carry colour codes and do not parse (outside CI, which sets
    # ANSIBLE_NOCOLOR itself).
    env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), *extra, str(playbook)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", run.stdout, re.MULTILINE)
    changed = {host: int(count) for host, count in recap}
    return Run(run.returncode, run.stdout + run.stderr, changed)


@pytest.fixture(scope="session")
def converge_again():
    """converge.yml again, for tests that run it with other variables or flags."""
    return _converge_again


@pytest.fixture(scope="session")
def check_mode_recap():
    """Run the scenario's converge.yml again with --check --diff on the converged
    nodes and return the recap as {host: changed count}. A converged fleet must
    predict no change, and check mode itself must not fail."""
    run = _converge_again("--check", "--diff")
    assert run.rc == 0, run.out[-5000:]
    assert run.changed, run.out[-3000:]
    return run.changed


@pytest.fixture(autouse=True)
def _only_its_hosts(request):
    """A test module that names the nodes it is about in HOSTS is skipped on
    the others (scenarios with one node per case: docker, node's ARM nodes)."""
    hosts = getattr(request.module, "HOSTS", None)
    if hosts is None or "host" not in request.fixturenames:
        return
    name = request.getfixturevalue("host").backend.get_hostname()
    if name not in hosts:
        pytest.skip(f"{request.module.__name__} is about {', '.join(sorted(hosts))}")
