"""Docker's apt repository (a signed stand-in served in the lab) on amd64:
source, key, no pin, and docker-ce 29 installed and running from it."""

import json
import subprocess

from repo_checks import (  # noqa: F401 (pytest collects what is imported)
    expected,
    test_apt_candidate,
    test_apt_get_update_only_when_needed,
    test_armhf_is_pinned_to_28_others_not,
    test_deb822_source_for_the_node,
)

EXPECTED = {"pi3": ("debian", "trixie", "amd64", "29.0.0")}
HOSTS = set(EXPECTED)


def test_docker_ce_29_installed_and_engine_runs(host):
    assert host.package("docker-ce").version == "5:29.0.0-1~debian.13~trixie"
    for pkg in ("docker-ce-cli", "containerd.io", "docker-buildx-plugin", "docker-compose-plugin"):
        assert host.package(pkg).is_installed, pkg
    assert host.service("docker").is_running
    with host.sudo():
        info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["Driver"] == "overlay2"
    assert host.run("docker ps").rc == 0  # as pi, through the docker group


def test_the_key_was_downloaded_once_and_kept(host):
    """Converge, idempotence, the refused inputs and verify's check run: only
    the first run downloads Docker's key; later runs use the stored one (a
    download per run is an HTTPS round trip per Pi on every re-run)."""
    address = host.ansible.get_variables()["ansible_host"]
    server = subprocess.run(
        ["docker", "logs", "pifleet-lab-mol-docker-apt"], capture_output=True, text=True, check=True
    )
    log = (server.stdout + server.stderr).splitlines()
    gets = [
        line for line in log if line.startswith(f"{address} ") and "GET /linux/debian/gpg" in line
    ]
    assert len(gets) == 1, gets
    with host.sudo():
        assert host.file("/etc/apt/keyrings/docker.asc").is_file
