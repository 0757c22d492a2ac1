"""Join tokens never show: not in -vvv output, not in the log, not on disk.

Runs the real converge with -vvv and log_path set, once rotating the tokens
(so fresh ones flow through every join path), once failing after the tokens
were read (a bad overlay subnet), and once failing before any change.
"""

import os

import pytest
from conftest import LAB, SCENARIO, case, node_exec, play

TOKEN = "SWMTKN-"


@pytest.fixture(scope="module")
def tokens():
    out = []
    for kind in ("worker", "manager"):
        out.append(node_exec("pi1", "docker", "swarm", "join-token", "-q", kind).stdout.strip())
    assert all(t.startswith(TOKEN) for t in out)
    return out


def _assert_clean(result, log, tokens):
    text = result.output + log.read_text()
    assert log.stat().st_size > 0, "log_path wrote nothing"
    assert TOKEN not in text
    for t in tokens:
        assert t not in text


def test_no_token_in_a_successful_vvv_run(tmp_path, tokens):
    log = tmp_path / "ansible.log"
    inv = os.environ["MOLECULE_INVENTORY_FILE"]
    result = play(SCENARIO / "converge.yml", "-vvv", inventory=inv, log_path=log)
    assert result.rc == 0, result.output[-3000:]
    _assert_clean(result, log, tokens)


def test_no_token_when_rotating(tmp_path, tokens):
    log = tmp_path / "ansible.log"
    inv = os.environ["MOLECULE_INVENTORY_FILE"]
    result = play(
        SCENARIO / "converge.yml",
        "-vvv",
        "-e",
        "swarm_rotate_tokens=true",
        inventory=inv,
        log_path=log,
    )
    assert result.rc == 0, result.output[-3000:]
    new = [
        node_exec("pi1", "docker", "swarm", "join-token", "-q", k).stdout.strip()
        for k in ("worker", "manager")
    ]
    assert set(new).isdisjoint(tokens), "swarm_rotate_tokens did not rotate"
    _assert_clean(result, log, tokens + new)


def test_no_token_in_a_failing_vvv_run(tmp_path, tokens):
    log = tmp_path / "ansible.log"
    inv = os.environ["MOLECULE_INVENTORY_FILE"]
    bad = '{"swarm_networks": [{"name": "lab-bad", "subnet": "10.300.0.0/24"}]}'
    result = play(SCENARIO / "converge.yml", "-vvv", "-e", bad, inventory=inv, log_path=log)
    assert result.rc != 0
    assert "lab-bad" in result.output  # it failed where the tokens had been read
    now = [
        node_exec("pi1", "docker", "swarm", "join-token", "-q", k).stdout.strip()
        for k in ("worker", "manager")
    ]
    _assert_clean(result, log, tokens + now)


def test_no_token_when_a_join_fails(tmp_path, tokens):
    # Everyone advertises 127.0.0.1 (interface lo), so pi4 gets the real
    # worker token and tries to join a manager at its own loopback: the join
    # itself fails, with the token in its arguments.
    log = tmp_path / "ansible.log"
    node_exec("pi4", "docker", "swarm", "leave", "--force", check=False)
    try:
        result = case(
            ["pi1"],
            ["pi2", "pi3", "pi4"],
            "-vvv",
            "-e",
            "swarm_advertise_interface=lo",
            log_path=log,
        )
        assert result.rc != 0
        assert "TASK [pifleet.swarm.swarm : Join the workers]" in result.output
        assert "fatal: [pi4]" in result.output
        now = [
            node_exec("pi1", "docker", "swarm", "join-token", "-q", k).stdout.strip()
            for k in ("worker", "manager")
        ]
        _assert_clean(result, log, tokens + now)
    finally:
        node_exec("pi4", "docker", "swarm", "leave", "--force", check=False)


def test_no_token_on_disk(tokens):
    for host in ("pi1", "pi2", "pi3"):
        found = node_exec(
            host, "grep", "-rls", TOKEN, "/tmp", "/root", "/home", "/etc", "/var/tmp", check=False
        )
        assert found.stdout == "", f"{host}: {found.stdout}"
    home = os.path.expanduser("~/.ansible")
    ephemeral = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    for path in (home, ephemeral, str(LAB.dir)):
        if os.path.isdir(path):
            for root, _dirs, files in os.walk(path):
                for f in files:
                    p = os.path.join(root, f)
                    try:
                        with open(p, "rb") as fh:
                            assert TOKEN.encode() not in fh.read(), p
                    except OSError:
                        continue
