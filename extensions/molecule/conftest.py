"""Fixtures every scenario's testinfra verify can use (pytest finds this file
above each scenario's tests/ directory, since the repository is its rootdir)."""

import os
from pathlib import Path

import pytest

from tests.support.ansible import Result, playbook


def _converge_again(*extra: str) -> Result:
    """Run the scenario's converge.yml again from the controller, on the
    nodes molecule made, with extra ansible-playbook arguments, in molecule's
    environment (its ansible.cfg)."""
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    converge = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml"
    return playbook(converge, *extra, inventory=inventory, timeout=None)


@pytest.fixture(scope="session")
def converge_again():
    """converge.yml again, for tests that run it with other variables or flags."""
    return _converge_again


@pytest.fixture(scope="session")
def check_mode_run() -> Result:
    """The scenario's converge.yml again with --check --diff on the converged
    nodes, once per session; check mode itself must not fail."""
    run = _converge_again("--check", "--diff")
    assert run.rc == 0, run.output[-5000:]
    assert run.changed, run.output[-3000:]
    return run


@pytest.fixture(scope="session")
def check_mode_recap(check_mode_run):
    """That run's recap as {host: changed count}: a converged fleet must
    predict no change."""
    return check_mode_run.changed


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
