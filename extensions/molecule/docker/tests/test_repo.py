"""Docker's apt repository (a signed stand-in served in the lab): source, key, pin, install."""

import json
import re

import pytest

REPO = "http://pifleet-lab-mol-docker-apt:8000/linux"
EXPECTED = {
    # host: (repo directory, suite, dpkg arch, candidate major)
    "pi3": ("debian", "trixie", "amd64", "29.0.0"),
    "pi4": ("raspbian", "bookworm", "armhf", "28.5.2"),
    "pi5": ("debian", "bookworm", "arm64", "29.0.0"),
}
HOSTS = set(EXPECTED)


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


def _sources(host):
    fields = {}
    for line in host.file("/etc/apt/sources.list.d/docker.sources").content_string.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def test_deb822_source_for_the_node(host, name):
    distro, suite, arch, _ = EXPECTED[name]
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


def test_armhf_is_pinned_to_28_others_not(host, name):
    pin = host.file("/etc/apt/preferences.d/docker-ce")
    if EXPECTED[name][2] == "armhf":
        assert pin.contains("Pin: version 5:28.*")
        assert pin.contains("Package: docker-ce docker-ce-cli")
    else:
        assert not pin.exists


def test_apt_candidate(host, name):
    # The signed InRelease verified (no "unauthenticated" fallback exists with
    # Signed-By) and, on armhf, 28 wins although 29 is offered.
    policy = host.check_output("apt-cache policy docker-ce")
    candidate = re.search(r"Candidate: (\S+)", policy).group(1)
    assert candidate.startswith(f"5:{EXPECTED[name][3]}-1~"), policy
    assert "5:29.0.0-1~" in policy, policy
    assert REPO in policy


def test_docker_ce_29_installed_and_engine_runs(host, name):
    if name != "pi3":
        pytest.skip("no engine can run under qemu-user: repository part only")
    assert host.package("docker-ce").version == "5:29.0.0-1~debian.13~trixie"
    for pkg in ("docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"):
        assert host.package(pkg).is_installed, pkg
    assert host.service("docker").is_running
    with host.sudo():
        info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["Driver"] == "overlay2"
    assert host.run("docker ps").rc == 0  # as pi, through the docker group


def test_apt_get_update_only_when_needed(host):
    # Cold run: Debian's lists (python3-debian and friends), then once for the
    # new source. Check mode, the idempotence run and refused inputs: none.
    log = host.file("/var/log/apt-updates.log")
    assert len(log.content_string.split()) == 2
