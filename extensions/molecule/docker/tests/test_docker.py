"""Debian's docker.io installed and configured by the docker role (source: distro)."""

import json
import re

import pytest

ENGINE = {"pi1": "26.1"}
HOSTS = set(ENGINE)


@pytest.fixture
def name(host):
    return host.backend.get_hostname()


def test_engine_active_and_enabled(host):
    svc = host.service("docker")
    assert svc.is_running
    assert svc.is_enabled


def test_docker_io_from_debian_not_docker_ce(host, name):
    assert host.package("docker.io").is_installed
    assert host.package("docker.io").version.startswith(ENGINE[name])
    assert not host.package("docker-ce").is_installed
    assert not host.file("/etc/apt/sources.list.d/docker.sources").exists


def test_docker_info_overlay2(host, name):
    with host.sudo():
        info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    # Each node has its own /var/lib/docker volume: no vfs fallback.
    assert info["Driver"] == "overlay2"
    assert info["ServerVersion"].startswith(ENGINE[name])
    assert info["LoggingDriver"] == "json-file"


def test_daemon_json_rotates_logs(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    # max-file comes from the scenario as an int and must be written as a string.
    assert config == {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "2"}}
    assert host.file("/etc/docker/daemon.json").mode == 0o644


def test_user_in_docker_group_runs_docker_without_sudo(host):
    assert "docker" in host.user("pi").groups
    # testinfra logs in as pi (a fresh login: new groups apply)
    assert host.user().name == "pi"
    assert host.run("docker ps").rc == 0


def test_python3_docker_from_apt_talks_to_the_engine(host):
    assert host.package("python3-docker").is_installed
    code = 'import docker; print(docker.from_env(version="auto").version()["Version"])'
    out = host.check_output(f"python3 -c '{code}'")
    assert re.match(r"^\d+\.\d+", out)
    assert not host.exists("pip3") or "docker" not in host.run("pip3 list 2>/dev/null").stdout


def test_docker_stack_libraries_from_apt(host):
    # community.docker.docker_stack imports both on the manager (the caddy role).
    for package in ("python3-jsondiff", "python3-yaml"):
        assert host.package(package).is_installed, package
    assert host.run("python3 -c 'import jsondiff, yaml'").rc == 0


def test_apt_get_update_ran_once(host):
    # prepare logs every apt-get update: the cold converge needs exactly one
    # (empty lists on a fresh node); check mode, the idempotence run and the
    # refused inputs add none.
    log = host.file("/var/log/apt-updates.log")
    assert log.exists
    assert len(log.content_string.split()) == 1


def test_check_mode_on_converged_nodes_changes_nothing(check_mode_recap):
    # Every node of the scenario, whatever its engine source.
    assert len(check_mode_recap) == 3, check_mode_recap
    assert set(check_mode_recap.values()) == {0}, check_mode_recap


def test_a_converged_daemon_json_is_not_copied_again(check_mode_run):
    # The engine read found each node's file as the role writes it, so no
    # node runs the copy (its remote stat); side_effect changes it by hand.
    assert check_mode_run.outcomes("Write daemon.json") == {"skipping"}
