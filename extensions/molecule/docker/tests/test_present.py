"""An engine that came with the OS image is configured, never replaced."""

import json

HOSTS = {"pi2"}


def test_the_preinstalled_engine_runs(host):
    assert host.service("docker").is_running
    assert host.service("docker").is_enabled
    assert host.package("docker.io").version.startswith("20.10")
    with host.sudo():
        info = json.loads(host.check_output("docker info --format '{{json .}}'"))
    assert info["ServerVersion"].startswith("20.10")
    assert info["LoggingDriver"] == "json-file"


def test_no_second_engine_and_no_docker_source(host):
    for pkg in ("docker-ce", "docker-ce-cli", "containerd.io", "python3-debian"):
        assert not host.package(pkg).is_installed, pkg
    assert not host.file("/etc/apt/sources.list.d/docker.sources").exists


def test_configured(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert "docker" in host.user("pi").groups
    assert host.run("docker ps").rc == 0
    assert host.package("python3-docker").is_installed


def test_restarted_once_for_the_new_daemon_json(host):
    # Started at boot, restarted once when daemon.json appeared; the
    # idempotence run, check mode and the refused inputs restarted nothing
    # (counted by side_effect before its rolled-back daemon.json, which
    # restarts the engine on purpose).
    with host.sudo():
        starts = host.file("/var/tmp/pifleet-molecule-docker-starts").content_string.strip()
    assert starts == "2"


def test_a_refused_daemon_json_left_the_engine_running_on_the_old_one(host):
    # The rolled-back case of side_effect: the engine started again after it.
    with host.sudo():
        log = host.check_output("journalctl -u docker.service -o cat --no-pager")
    assert "no-such-option" in log
    assert host.service("docker").is_running
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert "no-such-option" not in config
