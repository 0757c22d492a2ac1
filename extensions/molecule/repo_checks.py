"""Checks of the docker role's repository part (Docker's apt source, key and
armhf pin, against the signed stand-in of resources/docker_repo.yml), shared by
the scenarios that run it: each imports these tests into its tests/test_repo.py
and gives EXPECTED there ({host: (repo directory, suite, dpkg arch, candidate
version)}) and HOSTS (the nodes they are about)."""

import os
import re

import pytest

REPO = f"http://pifleet-lab-mol-{os.environ['MOLECULE_SCENARIO_NAME']}-apt:8000/linux"


@pytest.fixture
def expected(request, host):
    return request.module.EXPECTED[host.backend.get_hostname()]


def _sources(host):
    fields = {}
    for line in host.file("/etc/apt/sources.list.d/docker.sources").content_string.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def test_deb822_source_for_the_node(host, expected):
    distro, suite, arch, _ = expected
    src = _sources(host)
    assert src["Types"] == "deb"
    assert src["URIs"] == f"{REPO}/{distro}"
    assert src["Suites"] == suite
    assert src["Components"] == "stable"
    assert src["Architectures"] == arch
    assert src["Signed-By"] == "/etc/apt/keyrings/docker.asc"
    key = host.file("/etc/apt/keyrings/docker.asc")
    assert key.contains("BEGIN PGP PUBLIC KEY BLOCK")
    assert key.mode == 0o644


def test_armhf_is_pinned_to_28_others_not(host, expected):
    pin = host.file("/etc/apt/preferences.d/docker-ce")
    if expected[2] == "armhf":
        assert pin.contains("Pin: version 5:28.*")
        assert pin.contains("Package: docker-ce docker-ce-cli")
    else:
        assert not pin.exists


def test_apt_candidate(host, expected):
    # The signed InRelease verified (no "unauthenticated" fallback exists with
    # Signed-By) and, on armhf, 28 wins although 29 is offered.
    policy = host.check_output("apt-cache policy docker-ce")
    candidate = re.search(r"Candidate: (\S+)", policy).group(1)
    assert candidate.startswith(f"5:{expected[3]}-1~"), policy
    assert "5:29.0.0-1~" in policy, policy
    assert REPO in policy


def test_apt_get_update_only_when_needed(host):
    # Cold run: Debian's lists (python3-apt, python3-debian and friends), then
    # once for the new source. Check mode, the idempotence run and refused
    # inputs: none.
    log = host.file("/var/log/apt-updates.log")
    assert len(log.content_string.split()) == 2
