"""The check_inputs action through ansible-playbook: the variables each host
sees (group_vars, host_vars, templates, extra vars), the fleet's groups, and
one message per problem naming the hosts that share it. No host is contacted:
the inventory's hosts do not exist."""

import json
from pathlib import Path

import pytest

from tests.support import ansible

PLAYBOOK = """
- name: Judge the inputs
  hosts: all
  gather_facts: false
  tasks:
    - name: Check every role's inputs
      pifleet.swarm.check_inputs:
        roles: [node, docker, swarm, images, caddy]
        hosts: "{{ ansible_play_hosts }}"
      run_once: true
"""
GROUPS = {"swarm_managers_group": "pis", "swarm_workers_group": "others"}
INVENTORY = {
    "all": {"vars": {"ansible_host": "192.0.2.1", "base_skew": 30}},
    "pis": {"hosts": {"pi1": {}, "pi2": {}}},
    "others": {"hosts": {"pi3": {"swarm_node_availability": "off"}}},
}


def run(tmp_path: Path, extra: dict, inventory: dict = INVENTORY) -> ansible.Result:
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    (tmp_path / "inventory.json").write_text(json.dumps(inventory))
    return ansible.playbook(
        tmp_path / "play.yml",
        "-e", json.dumps({**GROUPS, **extra}),
        inventory=tmp_path / "inventory.json",
        env={
            **ansible.checkout_env(),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        },
        timeout=120,
    )  # fmt: skip


def test_a_good_fleet_passes(tmp_path):
    good = json.loads(json.dumps(INVENTORY))
    del good["others"]["hosts"]["pi3"]["swarm_node_availability"]
    result = run(tmp_path, {"node_max_clock_skew": "{{ base_skew }}"}, good)
    assert result.rc == 0, result.output
    assert "ok: [pi1]" in result.output, result.output


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    return run(
        tmp_path_factory.mktemp("refused"),
        {
            "node_max_clock_skew": "{{ base_skew - 30 }}",
            "docker_users": "pi",
            "caddy_sites": [{"name": "a.lan", "src": "a", "tls": "off"}],
        },
    )


@pytest.mark.parametrize(
    "expected",
    [
        # templated per host, the same for all: said once, naming them all
        "pi1, pi2, pi3: node_max_clock_skew must be more than 0 seconds, not 0",
        "pi1, pi2, pi3: docker_users must be a list (YAML or JSON), not the string 'pi'",
        # another host's host_vars, in the renamed groups
        "pi3: swarm_node_availability must be one of active, pause, drain, got 'off'",
        "value of tls must be one of: auto, internal, acme, got: off found in caddy_sites",
    ],
)
def test_every_problem_of_every_role_at_once(refused, expected):
    assert refused.rc != 0
    assert expected in refused.output, refused.output


def test_renamed_groups_that_are_empty_are_named(tmp_path):
    result = run(tmp_path, {"swarm_managers_group": "nowhere"})
    assert result.rc != 0
    assert "no managers: the group 'nowhere' is empty or missing" in result.output, result.output
