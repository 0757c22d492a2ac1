"""The docker scenario has one node per engine source; each test module names
the nodes it is about in HOSTS and is skipped on the others."""

import pytest


@pytest.fixture(autouse=True)
def _only_its_hosts(request):
    hosts = getattr(request.module, "HOSTS", None)
    if hosts is None or "host" not in request.fixturenames:
        return
    name = request.getfixturevalue("host").backend.get_hostname()
    if name not in hosts:
        pytest.skip(f"{request.module.__name__} is about {', '.join(sorted(hosts))}")
