"""The order of a rolling reboot and the quorum guard before a manager goes."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.filter.rolling import (
    manager_down_problem,
    roll_batches,
)
from ansible_collections.pifleet.swarm.plugins.test.swarm import swarm_node_back

from tests.unit.test_swarm_plan import node

CLUSTER = "k3ymzd6v0b1clusterid"


def swarm(node_id, manager=False, cluster=CLUSTER, managers=("id1",)):
    """`docker info` .Swarm of an active member (only the keys read)."""
    out = {
        "NodeID": node_id,
        "LocalNodeState": "active",
        "ControlAvailable": manager,
        "RemoteManagers": [{"NodeID": m, "Addr": f"10.0.0.{m[-1]}:2377"} for m in managers],
    }
    if manager:
        out["Cluster"] = {"ID": cluster}
    return out


def fleet(wanted, managers=("pi1", "pi2", "pi3"), workers=("pi4", "pi5", "pi6")):
    """A play of one Swarm: each host with its node id idN."""
    ids = tuple("id" + m[-1] for m in managers)
    return [
        {
            "host": h,
            "wanted": h in wanted,
            "swarm": swarm("id" + h[-1], h in managers, managers=ids),
        }
        for h in [*managers, *workers]
    ]


def hosts(batches):
    return [b["hosts"] for b in batches]


def test_managers_go_one_at_a_time_after_the_workers():
    out = roll_batches(fleet({"pi1", "pi2", "pi3", "pi4", "pi5", "pi6"}), 1)
    assert hosts(out) == [["pi4"], ["pi5"], ["pi6"], ["pi1"], ["pi2"], ["pi3"]]


def test_workers_go_in_batches_managers_still_alone():
    out = roll_batches(fleet({"pi1", "pi2", "pi4", "pi5", "pi6"}), 2)
    assert hosts(out) == [["pi4", "pi5"], ["pi6"], ["pi1"], ["pi2"]]


def test_each_batch_is_drained_by_another_manager_of_its_swarm():
    out = roll_batches(fleet({"pi1", "pi2", "pi4"}), 1)
    by_host = {b["hosts"][0]: b for b in out}
    assert by_host["pi4"]["manager"] == "pi1"
    # A manager is never drained (and waited for) by itself when others are there.
    assert by_host["pi1"]["manager"] == "pi2"
    assert by_host["pi2"]["manager"] == "pi1"
    assert by_host["pi4"]["node_ids"] == {"pi4": "id4"}


def test_a_lone_manager_drains_itself():
    out = roll_batches(fleet({"pi1", "pi2"}, managers=("pi1",), workers=("pi2",)), 1)
    assert [(b["hosts"], b["manager"]) for b in out] == [(["pi2"], "pi1"), (["pi1"], "pi1")]


def test_nodes_outside_a_swarm_reboot_together_first():
    nodes = fleet({"pi1", "pi4"})
    nodes.append({"host": "new1", "wanted": True, "swarm": {"LocalNodeState": "inactive"}})
    nodes.append({"host": "new2", "wanted": True, "swarm": {}})
    out = roll_batches(nodes, 1)
    assert out[0] == {
        "hosts": ["new1", "new2"],
        "manager": "",
        "node_ids": {"new1": "", "new2": ""},
    }
    assert hosts(out)[1:] == [["pi4"], ["pi1"]]


def test_a_first_run_is_one_batch():
    nodes = [{"host": f"pi{i}", "wanted": True, "swarm": {}} for i in range(1, 6)]
    assert hosts(roll_batches(nodes, 1)) == [["pi1", "pi2", "pi3", "pi4", "pi5"]]


def test_nothing_wanted_nothing_planned():
    assert roll_batches(fleet(set()), 3) == []


def test_a_worker_whose_managers_are_not_in_the_play_has_no_drainer():
    out = roll_batches(fleet({"pi4"}, managers=("pi9",), workers=("pi4",))[1:], 1)
    assert out == [{"hosts": ["pi4"], "manager": "", "node_ids": {"pi4": "id4"}}]


def test_workers_of_another_swarm_are_not_drained_by_this_one():
    nodes = fleet({"pi4"}, managers=("pi1",), workers=("pi4",))
    nodes[1]["swarm"]["RemoteManagers"] = [{"NodeID": "other", "Addr": "10.0.0.9:2377"}]
    assert roll_batches(nodes, 1)[0]["manager"] == ""


@pytest.mark.parametrize("batch", [0, -1, True, "2"])
def test_the_batch_size_is_a_whole_number(batch):
    with pytest.raises(AnsibleFilterError, match="at least 1"):
        roll_batches(fleet({"pi4"}), batch)


def test_the_filter_wants_hosts():
    with pytest.raises(AnsibleFilterError, match="host, wanted, swarm"):
        roll_batches([{"wanted": True}], 1)


def managers(*reach):
    return [node(f"id{i}", f"pi{i}", "manager", reach=r) for i, r in enumerate(reach, 1)]


def test_a_manager_goes_when_the_others_keep_quorum():
    assert manager_down_problem(managers("reachable", "reachable", "reachable"), "id2") == ""


def test_a_manager_waits_when_another_is_already_away():
    why = manager_down_problem(managers("reachable", "reachable", "unreachable"), "id2")
    assert why.startswith("taking this manager down would leave 1 of 3 managers reachable")
    assert "needs 2" in why and "bring back pi3 first" in why


def test_five_managers_spare_two_but_not_three():
    assert manager_down_problem(managers(*["reachable"] * 4, "unreachable"), "id1") == ""
    two_away = managers("reachable", "reachable", "reachable", "unreachable", "unreachable")
    assert "leave 2 of 5" in manager_down_problem(two_away, "id1")


def test_one_or_two_managers_cannot_keep_quorum_and_may_go():
    assert manager_down_problem(managers("reachable"), "id1") == ""
    assert manager_down_problem(managers("reachable", "reachable"), "id1") == ""


def test_a_worker_is_never_held_by_the_quorum_guard():
    nodes = [*managers("reachable", "reachable", "unreachable"), node("id4", "pi4")]
    assert manager_down_problem(nodes, "id4") == ""


def test_a_manager_is_back_once_reachable_not_only_ready():
    back = node("id2", "pi2", "manager", reach="reachable")
    ready_only = node("id2", "pi2", "manager", reach="unreachable")
    down = node("id4", "pi4", state="down")
    assert swarm_node_back(back) and swarm_node_back(node("id4", "pi4"))
    assert not swarm_node_back(ready_only) and not swarm_node_back(down)
    assert not swarm_node_back({})
    with pytest.raises(AnsibleFilterError, match="one node"):
        swarm_node_back([back])
