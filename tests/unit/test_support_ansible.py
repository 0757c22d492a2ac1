"""The one runner of ansible-playbook and ansible (tests/support/ansible.py), on
real runs against this machine (connection local) and on plain commands."""

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.support import REPO, ansible, recap

HERE = Path(__file__).resolve().parent

# The play whose output recaps/*.txt keep (see test_support_recap.py).
RECAP_PLAY = """
- name: Recap sample
  hosts: all
  gather_facts: false
  tasks:
    - name: Change on one
      ansible.builtin.command: "true"
      changed_when: inventory_hostname == 'pi1'
    - name: Skip on all but pi3
      ansible.builtin.debug: {msg: hi}
      when: inventory_hostname == 'pi3'
    - name: Ignored failure
      ansible.builtin.command: "false"
      ignore_errors: true
      when: inventory_hostname == 'pi1'
    - name: Rescued
      when: inventory_hostname == 'pi1'
      block:
        - name: Fail
          ansible.builtin.fail: {msg: boom}
      rescue:
        - name: Rescue
          ansible.builtin.debug: {msg: rescued}
    - name: Fail pi3
      ansible.builtin.fail: {msg: pi3 fails}
      when: inventory_hostname == 'pi3'
"""
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
# Nothing listens on port 1: refused at once, so the host is unreachable.
UNREACHABLE = {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_connection": "ssh"}


@pytest.fixture(scope="module")
def recap_run(tmp_path_factory):
    """The recap play, once, with molecule's forced colour in the environment."""
    tmp_path = tmp_path_factory.mktemp("recap")
    hosts = {
        "pi1": LOCAL,
        "pi-with-a-rather-long-name.lab.example.org": LOCAL,
        "pi3": LOCAL,
        "pi4": UNREACHABLE,
    }
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
    play = tmp_path / "play.yml"
    play.write_text(RECAP_PLAY)
    log = tmp_path / "run.log"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANSIBLE_FORCE_COLOR", "1")
        return ansible.playbook(play, inventory=inventory, log=log, env=ansible.checkout_env())


def test_a_real_run_gives_the_recap_kept_in_recaps(recap_run):
    stored = (HERE / "recaps" / "colour-free.txt").read_text()
    assert recap_run.recap == recap.parse(stored)
    assert recap_run.changed == {
        "pi-with-a-rather-long-name.lab.example.org": 0,
        "pi1": 2,
        "pi3": 0,
        "pi4": 0,
    }
    # ansible-playbook: 4 when a host was unreachable (it wins over 2, failed).
    assert recap_run.rc == 4
    assert not recap_run.timed_out


def test_colour_is_off_whatever_the_environment_says(recap_run):
    assert "\x1b[" not in recap_run.output
    assert "fatal: [pi3]: FAILED!" in recap_run.output


def test_the_log_holds_the_command_and_the_output(recap_run):
    log = recap_run.log.read_text()
    assert log == "$ " + " ".join(recap_run.argv) + "\n" + recap_run.output
    assert recap_run.argv[:3] == ["ansible-playbook", "-i", str(recap_run.argv[2])]


def test_ad_hoc_with_the_json_callback():
    env = {
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
    }
    result = ansible.adhoc(
        "localhost",
        "-m",
        "ansible.builtin.ping",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        inventory=["localhost,"],
        env={**ansible.checkout_env(), **env},
    )
    assert result.rc == 0, result.output
    assert result.recap == {}
    document = ansible.json_document(result.output)
    assert document["plays"][0]["tasks"][0]["hosts"]["localhost"]["ping"] == "pong"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        pytest.param('{\n    "plays": []\n}\n', {"plays": []}, id="alone"),
        pytest.param(
            'Gathering Facts --- 1.0s\n[WARNING]: {"a": 1}\n{\n    "plays": [1]\n}\nafter\n',
            {"plays": [1]},
            id="lines-around",
        ),
    ],
)
def test_json_document(output, expected):
    assert ansible.json_document(output) == expected


def test_json_document_missing():
    with pytest.raises(ValueError, match="no JSON document"):
        ansible.json_document("PLAY RECAP\n")


def test_inventory_sources_each_get_their_own_flag():
    result = ansible.run(["true"])
    assert result.rc == 0 and result.output == "" and result.log is None
    args = ansible._inventory_args([Path("/a.yml"), "b.yml"])
    assert args == ["-i", "/a.yml", "-i", "b.yml"]
    assert ansible._inventory_args("c.yml") == ["-i", "c.yml"]


def test_a_run_past_its_timeout_is_killed_with_its_group(tmp_path):
    # The shell's background child is in the run's process group: it dies too.
    script = "sleep 300 & echo $!; wait"
    start = time.monotonic()
    result = ansible.run(["sh", "-c", script], timeout=1, log=tmp_path / "log")
    assert result.timed_out and result.rc == -9
    assert time.monotonic() - start < 30
    child = int(result.output.split()[0])
    # SIGKILL is delivered asynchronously: give the orphan a moment to go.
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    assert "[killed: still running after 1 s]" in (tmp_path / "log").read_text()


def test_each_line_reaches_on_line_as_it_comes():
    seen = []
    result = ansible.run(
        ["sh", "-c", "echo one; echo two >&2; echo three"],
        on_line=lambda line, proc: seen.append((line, proc.pid > 0)),
    )
    assert seen == [("one\n", True), ("two\n", True), ("three\n", True)]
    assert result.output == "one\ntwo\nthree\n"


def test_a_failing_on_line_kills_the_run():
    def stop(line, proc):
        raise RuntimeError(f"seen {line.strip()}")

    with pytest.raises(RuntimeError, match="seen started"):
        ansible.run(["sh", "-c", "echo started; exec sleep 300"], on_line=stop, timeout=60)


def test_the_environment():
    env = ansible.environment({"ANSIBLE_TIMEOUT": "7"})
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["ANSIBLE_NOCOLOR"] == "1" and env["ANSIBLE_FORCE_COLOR"] == "0"
    assert env["ANSIBLE_TIMEOUT"] == "7"
    assert ansible.checkout_env() == {
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / "build" / "collections"),
    }


def _alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody reaped yet."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


SHOWN = """
TASK [pifleet.swarm.images : Start the builds] *********************************
skipping: [pi1]

TASK [pifleet.swarm.images : Wait for the builds] ******************************
ok: [pi1] => (item=pifleet/caddy:2)
changed: [pi1] => (item=pifleet/php-fpm:8)

TASK [pifleet.swarm.caddy : Deploy the stack] **********************************
fatal: [pi1 -> pi2]: FAILED! => changed=false
"""


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("Start the builds", {"skipping"}),
        ("Wait for the builds", {"ok", "changed"}),
        ("Deploy the stack", {"failed"}),
        ("Forget the finished jobs", set()),
    ],
)
def test_outcomes_are_read_under_the_tasks_own_header(task, expected):
    result = ansible.Result(argv=[], rc=0, output=SHOWN, seconds=0.0)
    assert result.outcomes(task) == expected
