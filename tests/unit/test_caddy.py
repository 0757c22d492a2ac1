"""Rules of the caddy role: host names, which TLS each name gets, when a stack
runs whole (its inputs: test_inputs.py)."""

import pytest
from ansible_collections.pifleet.swarm.plugins.plugin_utils._caddy import (
    is_hostname,
    stack_shortfall,
    tls_mode,
)


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("blog.example.org", "acme"),
        ("pi.lan", "internal"),
        ("nas.local", "internal"),
        ("printer.home.arpa", "internal"),
        ("192.168.1.10", "internal"),
        ("::1", "internal"),
        ("localhost", "internal"),
        ("pi", "internal"),
        ("Example.COM.", "acme"),
    ],
)
def test_tls_mode_by_name(name, mode):
    assert tls_mode(name) == mode


def test_tls_mode_forced():
    assert tls_mode("pi.lan", "acme") == "acme"
    assert tls_mode("example.org", "internal") == "internal"


@pytest.mark.parametrize("name", ["a.b", "xn--bcher-kva.example", "*.pi.lan", "a-b.c"])
def test_hostnames(name):
    assert is_hostname(name)


@pytest.mark.parametrize("name", ["", "-a.b", "a..b", "a_b.c", "x" * 64 + ".lan", "a b"])
def test_not_hostnames(name):
    assert not is_hostname(name)


# --- the stack wait: running tasks on Ready nodes only ------------------------------

NODES = [
    "node n1aaaaaaaaaaaaaaaaaaaaaaa Ready",
    "node n2bbbbbbbbbbbbbbbbbbbbbbb Ready",
    "node n3ccccccccccccccccccccccc Ready",
]
SERVICES = ["service s1caddy00000 web_caddy 3/3", "service s2php0000000 web_php 2/2"]
WHOLE = [
    "task s1caddy00000aaaaaaaaaaaaa n1aaaaaaaaaaaaaaaaaaaaaaa running",
    "task s1caddy00000aaaaaaaaaaaaa n2bbbbbbbbbbbbbbbbbbbbbbb running",
    "task s1caddy00000aaaaaaaaaaaaa n3ccccccccccccccccccccccc running",
    "task s2php0000000bbbbbbbbbbbbb n1aaaaaaaaaaaaaaaaaaaaaaa running",
    "task s2php0000000bbbbbbbbbbbbb n2bbbbbbbbbbbbbbbbbbbbbbb running",
]


def test_stack_whole():
    assert stack_shortfall(NODES + SERVICES + WHOLE) == []


def test_stack_not_deployed_yet():
    assert stack_shortfall(NODES) == ["no service of the stack is there yet"]


def test_task_still_starting():
    lines = NODES + SERVICES + [*WHOLE[:4], WHOLE[4].replace("running", "starting")]
    assert stack_shortfall(lines) == ["web_php 1/2 running on Ready nodes"]


def test_tasks_on_a_down_node_do_not_count():
    """What docker service ls showed with pi4 paused: web_caddy 4/3 and
    web_php 3/2 (the tasks on the Down node still "running"). The stack is
    whole on the nodes that are up."""
    down = "n4ddddddddddddddddddddddd"
    lines = [
        *NODES,
        f"node {down} Down",
        "service s1caddy00000 web_caddy 4/3",
        "service s2php0000000 web_php 3/2",
        *WHOLE,
        f"task s1caddy00000aaaaaaaaaaaaa {down} running",
        f"task s2php0000000bbbbbbbbbbbbb {down} running",
    ]
    assert stack_shortfall(lines) == []


def test_a_task_on_a_down_node_does_not_hide_a_missing_one():
    """docker service ls would read 2/2 here: one task on a Ready node and
    one left on the Down node; the replacement is not running yet."""
    down = "n4ddddddddddddddddddddddd"
    lines = [
        *NODES,
        f"node {down} Down",
        "service s1caddy00000 web_caddy 3/3",
        "service s2php0000000 web_php 2/2",
        *WHOLE[:4],
        f"task s2php0000000bbbbbbbbbbbbb {down} running",
    ]
    assert stack_shortfall(lines) == ["web_php 1/2 running on Ready nodes"]


def test_a_service_scaled_to_zero_or_with_limits():
    lines = [
        *NODES,
        "service s3zero000000 web_zero 0/0",
        "service s2php0000000 web_php 2/2 (max 1 per node)",
        *WHOLE[3:],
    ]
    assert stack_shortfall(lines) == ["web_zero 0/0 running on Ready nodes"]


def test_lines_it_does_not_know_are_ignored():
    assert stack_shortfall(["", "Error response from daemon: x", *NODES, *SERVICES, *WHOLE]) == []
