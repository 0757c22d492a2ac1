"""Change cases, in order, each a converge of the regrouped lab and a check.

grow to 3 managers -> quorum guard refuses a demotion while a manager is
frozen -> demote one ->
bad inputs fail with nothing changed -> add pi4 -> prune pi4 -> pi3 wiped
rejoins -> pi4 in another Swarm fails clearly -> swarm_force_rejoin takes it.
"""

import json
import os
import re
import subprocess
import time

import pytest
from conftest import LAB, case, node_exec, nodes_changed, swarm_nodes

pytestmark = pytest.mark.skipif(
    os.environ.get("SWARM_SKIP_CHANGES") == "1", reason="SWARM_SKIP_CHANGES=1"
)


def roles():
    return {h: n["role"] for h, n in swarm_nodes().items()}


def snapshot():
    """What must not move when a run is refused: membership, roles, labels."""
    return {
        h: (n["id"], n["role"], n["availability"], n["labels"]) for h, n in swarm_nodes().items()
    }


def ok(result):
    assert result.rc == 0, result.output[-4000:]
    return result


def test_check_mode_predicts_and_changes_nothing():
    before = snapshot()
    node_exec("pi4", "docker", "swarm", "leave", "--force", check=False)
    result = ok(case(["pi1", "pi2", "pi3"], ["pi4"], "--check", "--diff"))
    changed = nodes_changed(result)
    assert changed["pi2"] > 0 and changed["pi3"] > 0 and changed["pi4"] > 0  # promote, join
    assert snapshot() == before
    info = node_exec("pi4", "docker", "info", "--format", "{{.Swarm.LocalNodeState}}").stdout
    assert info.strip() == "inactive"


def printed_roles(result):
    """The roles in the table the swarm role printed ("Print the Swarm")."""
    shown = result.output.split("Print the Swarm]", 1)[1].split("TASK [", 1)[0]
    return dict(re.findall(r"(?:\\n|\n)\s*(pi\d)\s+(manager|worker)\b", shown))


def test_grow_to_three_managers():
    grow = ok(case(["pi1", "pi2", "pi3"], []))
    assert "Promote the workers listed as managers" in grow.output
    nodes = swarm_nodes()
    managers = dict.fromkeys(("pi1", "pi2", "pi3"), "manager")
    assert {h: n["role"] for h, n in nodes.items()} == managers
    assert {n["reachability"] for n in nodes.values()} == {"reachable"}
    # The table shows the Swarm after the promotions (read again), not the
    # first read's workers.
    assert printed_roles(grow) == managers, grow.output[-3000:]
    # and a second run changes nothing
    again = ok(case(["pi1", "pi2", "pi3"], []))
    assert set(nodes_changed(again).values()) == {0}, again.output[-3000:]
    # A converged fleet skips the membership tasks at once (the plan's reshape),
    # and prints its table from the first read, without a second.
    assert "Join the managers" not in again.output and "Promote the workers" not in again.output
    assert again.outcomes("Read the Swarm as it is now") == {"skipping"}
    assert printed_roles(again) == managers, again.output[-3000:]


def wait_reachability(host, wanted, seconds):
    """Bounded wait for a manager's reachability as pi1 sees it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if swarm_nodes().get(host, {}).get("reachability") == wanted:
            return
        time.sleep(2)
    pytest.fail(f"{host} not {wanted} after {seconds} s: {swarm_nodes().get(host)}")


def test_quorum_guard_refuses_what_the_raft_could_not_commit():
    # pi3 frozen (its engine and sshd): the managers count it unreachable.
    # Demoting pi2 would leave pi1 alone of two managers: refused, nothing
    # changed. (With all three up, Raft commits 3 -> 2 -> 1 one at a time;
    # the unit tests hold that rule.)
    frozen = LAB.container("pi3")
    subprocess.run(["docker", "pause", frozen], check=True, timeout=60)
    try:
        wait_reachability("pi3", "unreachable", 90)
        before = snapshot()
        # -T 10: a frozen node accepts the TCP connection and never answers.
        result = case(["pi1", "pi3"], ["pi2"], "-T", "10")
        assert result.rc != 0
        assert (
            "quorum guard: demoting/removing pi2 would leave 1 reachable manager(s) of 2, "
            "and quorum needs 2"
        ) in result.output, result.output[-3000:]
        assert snapshot() == before
    finally:
        subprocess.run(["docker", "unpause", frozen], check=True, timeout=60)
    wait_reachability("pi3", "reachable", 120)


def test_demote_one_warns_on_an_even_count():
    result = ok(case(["pi1", "pi2"], ["pi3"]))
    assert roles() == {"pi1": "manager", "pi2": "manager", "pi3": "worker"}
    assert "WARNING: 2 managers: an even count" in result.output


# Bad inputs to the role (both groups, no managers, an unknown interface, a
# malformed label, a bad availability) are drill 7's cases (tests/drills/
# bad_inputs.py), run once there against the whole converged fleet.


def test_one_hosts_bad_variable_stops_every_host():
    # argument_specs refuses pi3 alone; the role must not take that for a node
    # that is down and go on with the others.
    before = snapshot()
    result = case(["pi1", "pi2"], ["pi3"], availability={"pi3": "gone"})
    assert result.rc != 0
    message = "pi3: swarm_node_availability must be one of active, pause, drain, got 'gone'"
    assert message in result.output
    assert "not reached this run" not in result.output
    assert set(nodes_changed(result).values()) <= {0}
    assert snapshot() == before


def test_add_a_fourth_node():
    node_exec("pi4", "docker", "swarm", "leave", "--force", check=False)
    ok(case(["pi1", "pi2"], ["pi3", "pi4"], labels={"pi4": {"zone": "shelf-b"}}))
    nodes = swarm_nodes()
    assert nodes["pi4"]["role"] == "worker" and nodes["pi4"]["status"] == "ready"
    assert nodes["pi4"]["labels"]["zone"] == "shelf-b"
    assert nodes["pi4"]["labels"]["arch"] == "x86_64"


def test_labels_no_longer_wanted_are_removed_and_manual_ones_kept():
    node_exec("pi1", "docker", "node", "update", "--label-add", "manual=yes", "pi4")
    ok(case(["pi1", "pi2"], ["pi3", "pi4"]))
    labels = swarm_nodes()["pi4"]["labels"]
    assert "zone" not in labels and labels["manual"] == "yes"


def test_unlisted_node_stays_without_pruning():
    ok(case(["pi1", "pi2"], ["pi3"]))
    assert "pi4" in swarm_nodes()


def test_prune_removes_the_unlisted_node():
    ok(case(["pi1", "pi2"], ["pi3"], "-e", "swarm_prune_nodes=true"))
    assert sorted(swarm_nodes()) == ["pi1", "pi2", "pi3"]


def test_wiped_node_rejoins():
    old = swarm_nodes()["pi3"]["id"]
    LAB.control("recreate", "pi3", timeout=300)
    # A blank node (its image has the engine, no Swarm state): the role re-joins it.
    ok(case(["pi1", "pi2"], ["pi3"]))
    nodes = swarm_nodes()
    assert sorted(nodes) == ["pi1", "pi2", "pi3"], nodes  # the old, down entry is gone
    assert nodes["pi3"]["id"] != old and nodes["pi3"]["status"] == "ready"
    assert nodes["pi3"]["labels"]["model"] == "Raspberry Pi 4 Model B Rev 1.5"


def test_node_of_another_swarm_fails_clearly():
    node_exec("pi4", "docker", "swarm", "leave", "--force", check=False)
    node_exec("pi4", "docker", "swarm", "init", "--advertise-addr", "eth0")
    other = json.loads(node_exec("pi4", "docker", "info", "--format", "{{json .Swarm}}").stdout)
    other_id = other["Cluster"]["ID"]
    before = snapshot()
    result = case(["pi1", "pi2"], ["pi3", "pi4"])
    assert result.rc != 0
    assert f"pi4 belongs to a different Swarm (cluster id {other_id}" in result.output
    assert "swarm_force_rejoin" in result.output
    assert snapshot() == before


def test_force_rejoin_brings_it_over():
    ok(case(["pi1", "pi2"], ["pi3", "pi4"], "-e", "swarm_force_rejoin=true"))
    nodes = swarm_nodes()
    assert sorted(nodes) == ["pi1", "pi2", "pi3", "pi4"]
    assert nodes["pi4"]["status"] == "ready" and nodes["pi4"]["role"] == "worker"
