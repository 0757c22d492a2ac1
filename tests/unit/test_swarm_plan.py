"""The swarm role's plan: who inits, joins, is promoted, demoted, removed; quorum; labels."""

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.filter.swarm import (
    swarm_network_problems,
    swarm_network_removals,
    swarm_summary,
)
from ansible_collections.pifleet.swarm.plugins.plugin_utils._swarm import (
    MANAGED_LABEL,
    bootstrap,
    host_state,
    label_plan,
    network_problems,
    network_removals,
    node_summary,
    plan,
    plan_line,
    quorum,
    run_plan,
    summary,
    validate_groups,
    validate_host_vars,
    validate_labels,
)

from tests.support import ansible

CLUSTER = "k3ymzd6v0b1clusterid"


def info(node_id="", state="inactive", manager=False, cluster="", name="pi1", *, remotes=()):
    """`docker info` as the Engine API returns it (only the keys read)."""
    swarm = {
        "NodeID": node_id,
        "LocalNodeState": state,
        "ControlAvailable": manager,
        "RemoteManagers": [{"NodeID": "x", "Addr": a} for a in remotes] or None,
    }
    if cluster:
        swarm["Cluster"] = {"ID": cluster}
    return {"Name": name, "ServerVersion": "26.1.5+dfsg1", "Swarm": swarm}


def node(nid, hostname, role="worker", state="ready", reach="reachable", *, labels=None, addr=""):
    """`docker node inspect` as the Engine API returns it (only the keys read)."""
    out = {
        "ID": nid,
        "Spec": {"Role": role, "Availability": "active", "Labels": labels or {}},
        "Description": {
            "Hostname": hostname,
            "Platform": {"Architecture": "x86_64", "OS": "linux"},
            "Engine": {"EngineVersion": "26.1.5+dfsg1"},
        },
        "Status": {"State": state, "Addr": addr},
    }
    if role == "manager":
        out["ManagerStatus"] = {"Reachability": reach, "Leader": nid == "id1"}
    return out


def hosts_of(**kw):
    return {name: host_state(i, addr=f"10.0.0.{name[-1]}") for name, i in kw.items()}


def formed(managers=("pi1",), workers=("pi2", "pi3"), down=()):
    """Hosts and nodes of a Swarm where every host is a member in its listed role."""
    hosts, nodes = {}, []
    for name in [*managers, *workers]:
        role = "manager" if name in managers else "worker"
        nid = "id" + name[-1]
        hosts[name] = host_state(
            info(nid, "active", role == "manager", CLUSTER if role == "manager" else "", name),
            addr=f"10.0.0.{name[-1]}",
        )
        state = "down" if name in down else "ready"
        reach = "unreachable" if name in down else "reachable"
        nodes.append(node_summary(node(nid, name, role, state, reach, addr=f"10.0.0.{name[-1]}")))
    return hosts, nodes


BOOT1 = {"host": "pi1", "existing": True, "cluster_id": CLUSTER, "error": ""}


@pytest.mark.parametrize(("n", "q"), [(0, 0), (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (7, 4)])
def test_quorum(n, q):
    assert quorum(n) == q


def test_host_state_reads_docker_info():
    h = host_state(
        info("abc", "active", True, CLUSTER, "pi1", remotes=["10.0.0.1:2377"]), "10.0.0.1"
    )
    assert h == {
        "node_id": "abc",
        "state": "active",
        "is_manager": True,
        "cluster_id": CLUSTER,
        "remote_managers": ["10.0.0.1:2377"],
        "hostname": "pi1",
        "engine": "26.1.5+dfsg1",
        "addr": "10.0.0.1",
    }
    assert host_state(None)["state"] == "inactive"
    assert host_state({"Swarm": {"NodeID": "", "LocalNodeState": ""}})["state"] == "inactive"


def test_node_summary_reads_node_inspect():
    n = node_summary(node("id1", "pi1", "manager", labels={"arch": "x86_64"}))
    assert n["role"] == "manager" and n["leader"] and n["reachability"] == "reachable"
    assert n["labels"] == {"arch": "x86_64"} and n["engine"] == "26.1.5+dfsg1"
    assert node_summary(node("id2", "pi2"))["reachability"] == ""


def test_validate_groups():
    assert validate_groups(["pi1"], ["pi2"], "m", "w") == []
    (err,) = validate_groups([], ["pi2"], "swarm_managers", "w")
    assert "no managers" in err and "swarm_managers" in err
    (err,) = validate_groups(["pi1", "pi2"], ["pi2", "pi3"], "m", "w")
    assert "both" in err and "pi2" in err and "pi3" not in err


@pytest.mark.parametrize(
    ("labels", "fragment"),
    [
        ({"bad key": "x"}, "'bad key' is malformed"),
        ({"-lead": "x"}, "malformed"),
        ({"arch": "arm"}, "set by the role"),
        ({MANAGED_LABEL: "x"}, "set by the role"),
        ({"zone": {"a": 1}}, "plain value"),
        ({"zone": None}, "plain value"),
        ({"zone": "a\nb"}, "newline"),
        (["zone=a"], "must be a mapping"),
    ],
)
def test_validate_labels_names_the_problem(labels, fragment):
    errors = validate_labels("pi2", labels)
    assert errors and fragment in errors[0] and errors[0].startswith("pi2: ")


def test_validate_labels_accepts_plain_labels():
    assert validate_labels("pi2", {"zone": "shelf-1", "disk.ssd": True, "gpu_count": 1}) == []
    assert validate_labels("pi2", None) == []


def test_bootstrap_first_run_first_free_manager():
    hosts = hosts_of(pi1=info(), pi2=info(name="pi2"))
    assert bootstrap(["pi1", "pi2"], hosts)["host"] == "pi1"
    assert not bootstrap(["pi1", "pi2"], hosts)["existing"]


def test_bootstrap_adopts_existing_swarm_on_any_manager():
    hosts = hosts_of(pi1=info(), pi2=info("id2", "active", True, CLUSTER, "pi2"))
    boot = bootstrap(["pi1", "pi2"], hosts)
    assert boot == {"host": "pi2", "existing": True, "cluster_id": CLUSTER, "error": ""}


def test_bootstrap_error_when_no_manager_can_lead():
    hosts = hosts_of(pi1=info("w1", "active", False))
    boot = bootstrap(["pi1"], hosts)
    assert boot["host"] == "" and "pi1" in boot["error"]


def test_bootstrap_never_inits_while_a_listed_manager_is_down():
    # pi1 may hold the Swarm: making a new one on pi2 would split the fleet.
    hosts = hosts_of(pi2=info(name="pi2"), pi3=info(name="pi3"))
    boot = bootstrap(["pi1", "pi2"], hosts)
    assert boot["host"] == ""
    assert "pi1 did not answer" in boot["error"] and "no new one is made" in boot["error"]


def test_bootstrap_adopts_the_swarm_of_a_reachable_manager_while_another_is_down():
    hosts = hosts_of(pi2=info("id2", "active", True, CLUSTER, "pi2"), pi4=info(name="pi4"))
    boot = bootstrap(["pi1", "pi2", "pi3"], hosts)
    assert boot == {"host": "pi2", "existing": True, "cluster_id": CLUSTER, "error": ""}


@pytest.mark.parametrize(
    ("availability", "interface", "fragment"),
    [
        (
            "paused",
            None,
            "swarm_node_availability must be one of active, pause, drain, got 'paused'",
        ),
        ("", None, "swarm_node_availability must be one of"),
        (None, ["eth0"], "swarm_advertise_interface must be an interface name, got ['eth0']"),
        (None, 7, "swarm_advertise_interface must be an interface name"),
    ],
)
def test_validate_host_vars_names_host_and_variable(availability, interface, fragment):
    errors = validate_host_vars("pi4", availability, interface)
    assert len(errors) == 1 and errors[0].startswith("pi4: ") and fragment in errors[0]


def test_validate_host_vars_accepts_defaults_and_good_values():
    assert validate_host_vars("pi4", None, None) == []
    assert validate_host_vars("pi4", "drain", "wlan0") == []
    assert validate_host_vars("pi4", "active", "") == []


def test_first_run_inits_and_joins_everyone():
    hosts = hosts_of(pi1=info(), pi2=info(name="pi2"), pi3=info(name="pi3"), pi4=info(name="pi4"))
    boot = bootstrap(["pi1", "pi2", "pi3"], hosts)
    p = plan(["pi1", "pi2", "pi3"], ["pi4"], hosts, [], boot)
    assert p["join"] == {"pi2": "manager", "pi3": "manager", "pi4": "worker"}
    assert p["errors"] == [] and p["promote"] == [] and p["demote"] == []
    assert p["quorum"]["managers_after"] == 3


def test_second_run_changes_nothing():
    hosts, nodes = formed()
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1)
    assert p["join"] == {} and p["promote"] == [] and p["demote"] == []
    assert p["stale"] == [] and p["prune"] == [] and p["errors"] == []
    assert p["members"] == {"pi1": "id1", "pi2": "id2", "pi3": "id3"}


def test_grow_to_three_managers_promotes():
    hosts, nodes = formed()
    p = plan(["pi1", "pi2", "pi3"], [], hosts, nodes, BOOT1)
    assert p["promote"] == ["pi2", "pi3"] and p["errors"] == []
    assert p["quorum"]["managers_after"] == 3


def test_demote_one_of_three_is_allowed_with_an_even_count_warning():
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=())
    p = plan(["pi1", "pi2"], ["pi3"], hosts, nodes, BOOT1)
    assert p["demote"] == ["pi3"] and p["errors"] == []
    assert any("2 managers" in w and "use 1, 3 or 5" in w for w in p["warnings"])


def test_quorum_guard_follows_raft_one_change_at_a_time():
    # Every manager up: each demotion commits with the managers it leaves
    # (3 -> 2 -> 1), as Swarm allows; 2 -> 1 is allowed too.
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=())
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1)
    assert p["errors"] == [] and p["demote"] == ["pi2", "pi3"]
    assert p["quorum"]["managers_after"] == 1 and p["quorum"]["reachable_kept"] == 1
    hosts, nodes = formed(managers=("pi1", "pi2"), workers=())
    assert plan(["pi1"], ["pi2"], hosts, nodes, BOOT1)["errors"] == []


def test_quorum_guard_counts_unreachable_managers():
    # 3 managers, pi3 is off: after demoting pi2, pi1 is 1 reachable of 2.
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=(), down=("pi3",))
    p = plan(["pi1", "pi3"], ["pi2"], hosts, nodes, BOOT1)
    (err,) = p["errors"]
    assert "quorum guard: demoting/removing pi2" in err
    assert "leave 1 reachable manager(s) of 2, and quorum needs 2" in err


def test_a_manager_that_is_off_may_go_first_but_not_after_a_live_one():
    # pi3 is off for good and its entry pruned: 3 -> 2, both up: allowed.
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=(), down=("pi3",))
    del hosts["pi3"]
    p = plan(["pi1", "pi2"], [], hosts, nodes, BOOT1, prune=True)
    assert [n["id"] for n in p["prune"]] == ["id3"] and p["errors"] == []
    # Demoting pi2 in the same run comes first (the role demotes, then
    # removes): pi1 would be 1 reachable of 2 with pi3's entry still in.
    p = plan(["pi1"], ["pi2"], hosts, nodes, BOOT1, prune=True)
    assert any("quorum guard" in e for e in p["errors"])


def test_swapping_the_only_manager_has_no_leader():
    # pi1 is the only manager; the inventory now names pi2 (a worker) the
    # manager and pi1 a worker: no listed manager manages the Swarm, and pi2
    # is not free to init one. Refused before anything changes.
    hosts, nodes = formed()
    p = run_plan(["pi2"], ["pi1", "pi3"], leader_sees(hosts, nodes), wants_of(hosts))
    assert p["leader"]["host"] == "" and "no listed manager can lead" in p["errors"][0]


def test_entries_of_managers_that_are_down_are_removed_first():
    # pi3 (off) and pi2 (up) are pruned: pi3 first, so 3 -> 2 -> 1 keeps quorum
    # at every step; pi2 first would leave pi1 1 reachable of 2.
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=(), down=("pi3",))
    del hosts["pi2"], hosts["pi3"]
    p = plan(["pi1"], [], hosts, nodes, BOOT1, prune=True)
    assert [n["hostname"] for n in p["prune"]] == ["pi3", "pi2"] and p["errors"] == []


def test_lost_quorum_is_reported():
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=(), down=("pi2", "pi3"))
    p = plan(["pi1", "pi2", "pi3"], [], hosts, nodes, BOOT1)
    assert any("lost quorum already: 1 of 3" in e for e in p["errors"])


def test_new_host_joins():
    hosts, nodes = formed()
    hosts["pi4"] = host_state(info(name="pi4"), "10.0.0.4")
    p = plan(["pi1"], ["pi2", "pi3", "pi4"], hosts, nodes, BOOT1)
    assert p["join"] == {"pi4": "worker"} and p["errors"] == []


def test_wiped_node_rejoins_and_its_old_entry_goes():
    hosts, nodes = formed(down=("pi3",))
    hosts["pi3"] = host_state(info(name="pi3"), "10.0.0.3")  # blank engine
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1)
    assert p["join"] == {"pi3": "worker"}
    assert [(n["id"], n["owner"]) for n in p["stale"]] == [("id3", "pi3")]
    assert p["prune"] == []


def test_wiped_node_old_entry_goes_while_the_managers_still_list_it_ready():
    # Re-joined before the managers missed enough heartbeats to mark it Down.
    hosts, nodes = formed()
    hosts["pi3"] = host_state(info(name="pi3"), "10.0.0.3")  # blank engine
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1)
    assert p["join"] == {"pi3": "worker"}
    assert [(n["id"], n["state"]) for n in p["stale"]] == [("id3", "ready")]


def test_wiped_manager_still_counted_reachable_is_counted_lost():
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=())
    hosts["pi3"] = host_state(info(name="pi3"), "10.0.0.3")
    p = plan(["pi1", "pi2", "pi3"], [], hosts, nodes, BOOT1)
    assert p["join"] == {"pi3": "manager"} and [n["id"] for n in p["stale"]] == ["id3"]
    assert p["errors"] == [] and p["quorum"]["reachable_kept"] == 3
    assert p["quorum"]["managers_after"] == 3
    # With pi2 down too, only pi1 is really left: the guard stops the run.
    nodes[1] = {**nodes[1], "state": "down", "reachability": "unreachable"}
    del hosts["pi2"]
    p = plan(["pi1", "pi2", "pi3"], [], hosts, nodes, BOOT1)
    assert any("quorum guard" in e and "pi3" in e for e in p["errors"]), p["errors"]


def test_ready_entry_of_the_same_name_elsewhere_is_not_taken_for_a_joining_host():
    # Two Pis both called raspberrypi: the live one (another address) stays.
    hosts, nodes = formed()
    nodes[2]["hostname"] = "raspberrypi"
    hosts["pi4"] = host_state(info(name="raspberrypi"), "10.0.0.4")
    p = plan(["pi1"], ["pi2", "pi3", "pi4"], hosts, nodes, BOOT1)
    assert p["join"] == {"pi4": "worker"} and p["stale"] == []


def test_an_address_alone_never_makes_an_entry_stale():
    # pi3 is off; DHCP gave its address to pi4, which joins now: pi3's entry stays.
    hosts, nodes = formed(down=("pi3",))
    del hosts["pi3"]
    hosts["pi4"] = host_state(info(name="pi4"), "10.0.0.3")
    p = plan(["pi1"], ["pi2", "pi3", "pi4"], hosts, nodes, BOOT1, complete=False)
    assert p["stale"] == [] and p["join"] == {"pi4": "worker"}
    # A wiped Pi that came back under another hostname: its old entry is not
    # taken for it either (swarm_prune_nodes removes it, in a complete run).
    hosts, nodes = formed(down=("pi3",))
    hosts["pi3"] = host_state(info(name="renamed"), "10.0.0.3")
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1)
    assert p["stale"] == [] and [n["id"] for n in p["unmanaged"]] == ["id3"]


def test_a_pi_that_is_off_is_left_as_it_is():
    # Issue 18: three managers that kept the name raspberrypi, pi3 off. The
    # reached two cannot be told apart: refused. With their own names, pi3's
    # Down entry is kept while the run is incomplete.
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=(), down=("pi3",))
    for n in nodes:
        n["hostname"] = "raspberrypi"
    named = {name: {**h, "hostname": "raspberrypi"} for name, h in hosts.items() if name != "pi3"}
    p = plan(["pi1", "pi2", "pi3"], [], named, nodes, BOOT1, complete=False)
    assert p["stale"] == []
    assert any("pi1, pi2 all report the hostname raspberrypi" in e for e in p["errors"])
    hosts, nodes = formed(managers=("pi1", "pi2", "pi3"), workers=(), down=("pi3",))
    del hosts["pi3"]
    p = plan(["pi1", "pi2", "pi3"], [], hosts, nodes, BOOT1, complete=False)
    assert p["stale"] == [] and p["errors"] == []
    assert p["quorum"]["managers_after"] == 3


def test_five_managers_two_off_none_removed():
    # pi4 and pi5 (off) kept Pi Imager's name, and so did pi1: their Down
    # entries are not pi1's leftovers (5 -> 3 managers, no guard, before).
    names = ("pi1", "pi2", "pi3", "pi4", "pi5")
    hosts, nodes = formed(managers=names, workers=(), down=("pi4", "pi5"))
    del hosts["pi4"], hosts["pi5"]
    hosts["pi1"]["hostname"] = "raspberrypi"
    for n in nodes:
        if n["hostname"] in ("pi1", "pi4", "pi5"):
            n["hostname"] = "raspberrypi"
    p = plan(list(names), [], hosts, nodes, BOOT1, complete=False)
    assert p["stale"] == [] and p["errors"] == [] and p["quorum"]["managers_after"] == 5


def test_old_entries_of_reached_hosts_wait_for_a_complete_run():
    # pi3 re-joined in an earlier run (new id); its old entry is Down. With
    # pi2 unreached the run is incomplete: the old entry is kept, and said so.
    hosts, nodes = formed(down=("pi3",))
    hosts["pi3"] = host_state(info("new3", "active", False, "", "pi3"), "10.0.0.3")
    nodes.append(node_summary(node("new3", "pi3", addr="10.0.0.3")))
    pi2 = hosts.pop("pi2")
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1, complete=False)
    assert p["stale"] == [] and p["errors"] == []
    assert any("Down entries with the hostname of a listed host" in w for w in p["warnings"])
    hosts["pi2"] = pi2
    assert [n["id"] for n in plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1)["stale"]] == ["id3"]


def test_unlisted_node_kept_without_pruning_and_pruned_with_it():
    hosts, nodes = formed()
    del hosts["pi3"]
    kept = plan(["pi1"], ["pi2"], hosts, nodes, BOOT1)
    assert kept["prune"] == [] and [n["id"] for n in kept["unmanaged"]] == ["id3"]
    pruned = plan(["pi1"], ["pi2"], hosts, nodes, BOOT1, prune=True)
    assert [n["id"] for n in pruned["prune"]] == ["id3"] and pruned["errors"] == []


def test_no_pruning_when_the_play_did_not_reach_every_host():
    hosts, nodes = formed()
    del hosts["pi3"]
    p = plan(["pi1"], ["pi2"], hosts, nodes, BOOT1, prune=True, complete=False)
    assert p["prune"] == [] and any("nothing is pruned" in w for w in p["warnings"])


def test_listed_host_not_reached_is_left_alone():
    hosts, nodes = formed()
    del hosts["pi3"]
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1, prune=True, complete=False)
    assert p["join"] == {} and p["prune"] == [] and p["errors"] == []


def test_node_of_another_swarm_is_an_error_naming_it():
    hosts, nodes = formed()
    hosts["pi3"] = host_state(info("zz9", "active", True, "otherclusterid", "pi3"), "10.0.0.3")
    nodes = [n for n in nodes if n["id"] != "id3"]
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1)
    (err,) = p["errors"]
    assert err.startswith("pi3 belongs to a different Swarm (cluster id otherclusterid")
    assert "swarm_force_rejoin" in err and p["join"] == {}


def test_worker_of_another_swarm_named_by_its_managers():
    hosts, nodes = formed()
    hosts["pi3"] = host_state(
        info("zz9", "active", False, "", "pi3", remotes=["10.9.9.9:2377"]), "x"
    )
    p = plan(["pi1"], ["pi2", "pi3"], hosts, [n for n in nodes if n["id"] != "id3"], BOOT1)
    assert "10.9.9.9:2377" in p["errors"][0]


def test_force_rejoin_leaves_and_joins():
    # pi3 once ran `docker swarm init` alone: the only node of its Swarm.
    hosts, nodes = formed()
    own = node_summary(node("zz9", "pi3", "manager"))
    hosts["pi3"] = {**host_state(info("zz9", "active", True, "other", "pi3"), "10.0.0.3")}
    hosts["pi3"]["nodes"] = [own]
    nodes = [n for n in nodes if n["id"] != "id3"]
    p = plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1, force_rejoin={"pi3"})
    assert p["errors"] == [] and p["leave"] == ["pi3"] and p["join"] == {"pi3": "worker"}
    assert p["foreign"] == {"pi3": "other"}
    # Only the hosts that have it set may leave.
    assert plan(["pi1"], ["pi2", "pi3"], hosts, nodes, BOOT1, force_rejoin={"pi2"})["errors"]


def test_force_rejoin_never_dissolves_a_swarm_with_other_members():
    # Issue 18: a fresh Pi listed as the only manager, the old only manager
    # moved to the workers, the flag set. The old manager's Swarm has 3 nodes.
    hosts, nodes = formed()
    hosts["pi1"]["nodes"] = nodes
    hosts["pi9"] = host_state(info(name="pi9"), "10.0.0.9")
    wants = wants_of(hosts)
    for want in wants.values():
        want["force_rejoin"] = True
    p = run_plan(["pi9"], ["pi1", "pi2", "pi3"], hosts, wants)
    assert p["leader"] == {"host": "pi9", "existing": False, "cluster_id": "", "error": ""}
    assert any(
        e.startswith("pi1 manages another Swarm of 3 nodes") and "dissolve" in e
        for e in p["errors"]
    )
    # A worker of another Swarm leaves it alone: allowed.
    del hosts["pi1"]
    p = plan(["pi9"], ["pi2", "pi3"], hosts, [], p["leader"], force_rejoin=True)
    assert p["leave"] == ["pi2", "pi3"] and p["errors"] == []


def test_label_plan_sets_facts_user_labels_and_the_record():
    lp = label_plan({}, {"arch": "x86_64", "model": "Raspberry Pi 4"}, {"zone": "a"})
    assert lp["set"] == {
        "arch": "x86_64",
        "model": "Raspberry Pi 4",
        "zone": "a",
        MANAGED_LABEL: "arch,model,zone",
    }
    assert lp["remove"] == [] and lp["changed"]


def test_label_plan_is_stable_when_nothing_changes():
    current = {"arch": "x86_64", "zone": "a", MANAGED_LABEL: "arch,zone", "manual": "x"}
    lp = label_plan(current, {"arch": "x86_64", "model": ""}, {"zone": "a"})
    assert not lp["changed"] and lp["remove"] == []


def test_label_plan_removes_only_labels_it_managed():
    current = {"arch": "x86_64", "zone": "a", "manual": "x", MANAGED_LABEL: "arch,zone"}
    lp = label_plan(current, {"arch": "x86_64"}, {})
    assert lp["remove"] == ["zone"] and lp["changed"]
    assert "manual" not in lp["remove"] and lp["set"][MANAGED_LABEL] == "arch"


def test_label_plan_stringifies_values():
    assert label_plan({}, {"arch": "x86_64"}, {"ssd": True, "n": 2})["set"]["ssd"] == "True"


def test_summary_names_nodes_by_inventory():
    _, nodes = formed()
    nodes[0]["labels"] = {"arch": "aarch64", "model": "Raspberry Pi 5"}
    nodes[2]["hostname"] = "raspberrypi"
    rows = summary(nodes, {"id1": "pi1", "id3": "pi3"})
    # pi2 is not in the names: shown by its engine's hostname.
    assert [(r["node"], r["hostname"]) for r in rows] == [
        ("pi1", "pi1"),
        ("pi2", "pi2"),
        ("pi3", "raspberrypi"),
    ]
    assert rows[0]["arch"] == "aarch64" and rows[0]["model"] == "Raspberry Pi 5"
    assert rows[1]["arch"] == "x86_64" and rows[1]["engine"] == "26.1.5+dfsg1"


def test_the_summary_filter_makes_the_rows_the_second_read_would():
    # The role prints the plan's node list through the filter when the run
    # changed no node: the same rows swarm_host returns as summary.
    _, nodes = formed()
    names = {"id1": "pi1", "id3": "pi3"}
    assert swarm_summary(nodes, names) == summary(nodes, names)
    assert [r["node"] for r in swarm_summary(nodes)] == ["pi1", "pi2", "pi3"]
    with pytest.raises(AnsibleFilterError, match="node list"):
        swarm_summary({"nodes": nodes}, names)


# --- run_plan: the leader's node list, labels and availability per host


def leader_sees(hosts, nodes, leader="pi1"):
    """Hosts as swarm_host returns them: the leading manager carries the node list."""
    return {n: {**h, "nodes": nodes if n == leader else []} for n, h in hosts.items()}


def wants_of(hosts, labels=None, availability="active"):
    return {
        n: {
            "facts": {"arch": "x86_64", "model": ""},
            "labels": labels or {},
            "availability": availability,
        }
        for n in hosts
    }


def converged(nodes, wants):
    """Node entries that already carry what the wants ask for."""
    for n in nodes:
        n["labels"] = label_plan({}, wants[n["hostname"]]["facts"], wants[n["hostname"]]["labels"])[
            "set"
        ]
    return nodes


def test_run_plan_of_a_converged_swarm_changes_nothing():
    hosts, nodes = formed()
    wants = wants_of(hosts)
    p = run_plan(["pi1"], ["pi2", "pi3"], leader_sees(hosts, converged(nodes, wants)), wants)
    assert p["errors"] == [] and p["leader"]["host"] == "pi1" and p["leader"]["existing"]
    assert p["updates"] == {} and p["unready"] == [] and p["join"] == {}
    assert p["reshape"] is False
    assert plan_line(p) == (
        "leader pi1; join -; promote -; demote -; remove stale -; prune -; managers 1 -> 1"
    )


def test_run_plan_reads_the_leaders_node_list_not_another_managers():
    hosts, nodes = formed(managers=("pi1", "pi2"), workers=("pi3",))
    wants = wants_of(hosts)
    seen = leader_sees(hosts, converged(nodes, wants))
    # A second manager's list (stale, say) is not read: pi1 leads.
    seen["pi2"]["nodes"] = [{**nodes[2], "state": "down"}]
    assert run_plan(["pi1", "pi2"], ["pi3"], seen, wants)["unready"] == []


def test_run_plan_sets_only_the_labels_and_availability_that_differ():
    hosts, nodes = formed()
    wants = wants_of(hosts)
    converged(nodes, wants)
    wants["pi2"] = {**wants["pi2"], "labels": {"disk": "ssd"}}
    wants["pi3"] = {**wants["pi3"], "availability": "drain"}
    p = run_plan(["pi1"], ["pi2", "pi3"], leader_sees(hosts, nodes), wants)
    assert sorted(p["updates"]) == ["pi2", "pi3"]
    assert p["updates"]["pi2"]["labels"]["disk"] == "ssd"
    assert p["updates"]["pi2"]["availability"] == "active"
    assert p["updates"]["pi3"] == {
        "labels": nodes[2]["labels"],
        "remove": [],
        "availability": "drain",
    }


def test_run_plan_labels_a_joining_node_and_waits_for_it():
    hosts, nodes = formed(workers=("pi2",))
    hosts["pi3"] = host_state(info(name="pi3"), "10.0.0.3")
    wants = wants_of(hosts)
    converged(nodes, wants)
    p = run_plan(["pi1"], ["pi2", "pi3"], leader_sees(hosts, nodes), wants)
    assert p["join"] == {"pi3": "worker"} and p["reshape"] is True
    assert list(p["updates"]) == ["pi3"] and p["updates"]["pi3"]["labels"]["arch"] == "x86_64"
    assert p["unready"] == ["pi3"]


def test_run_plan_waits_for_a_member_that_is_not_ready():
    hosts, nodes = formed()
    wants = wants_of(hosts)
    converged(nodes, wants)
    nodes[1]["state"] = "down"
    p = run_plan(["pi1"], ["pi2", "pi3"], leader_sees(hosts, nodes), wants)
    assert p["unready"] == ["pi2"] and p["updates"] == {}


def test_run_plan_without_a_leader_is_refused_naming_why():
    hosts, _ = formed()
    del hosts["pi1"]
    p = run_plan(["pi1"], ["pi2", "pi3"], hosts, wants_of(hosts))
    assert p["leader"]["host"] == "" and len(p["errors"]) == 1
    assert "pi1 did not answer" in p["errors"][0]


def test_run_plan_of_a_new_swarm_inits_on_the_first_free_manager():
    hosts = hosts_of(pi1=info(name="pi1"), pi2=info(name="pi2"))
    p = run_plan(["pi1"], ["pi2"], hosts, wants_of(hosts))
    assert p["leader"] == {"host": "pi1", "existing": False, "cluster_id": "", "error": ""}
    assert p["join"] == {"pi2": "worker"} and p["nodes"] == []
    assert plan_line(p).startswith("leader pi1 (init); join pi2 as worker;")


PLAYBOOK = """
- name: Plan on the controller
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Plan
      pifleet.swarm.swarm_plan:
        hosts: {hosts}
        wants: {wants}
        managers: [pi1]
        workers: [pi2, pi3]
      register: planned
"""


def test_the_swarm_plan_action_refuses_a_plan_that_would_break_the_swarm(tmp_path):
    hosts, nodes = formed()
    wants = wants_of(hosts)
    seen = leader_sees(hosts, converged(nodes, wants))
    seen["pi2"] = {**seen["pi2"], "node_id": "", "cluster_id": "other", "state": "active"}
    (tmp_path / "play.yml").write_text(
        PLAYBOOK.format(hosts=json.dumps(seen), wants=json.dumps(wants))
    )
    result = ansible.playbook(
        tmp_path / "play.yml", inventory="localhost,", env=ansible.checkout_env(), timeout=120
    )
    assert result.rc != 0
    assert "pi2 belongs to a different Swarm (cluster id other" in result.output, result.output


# Overlay networks Docker would remove (issue 18 item 9): docker_network
# results in check mode, docker_network_info results, verbose services.
def preview(name, *actions, state="present", differences=()):
    item = {"name": name, "state": state}
    return {"item": item, "actions": list(actions), "diff": {"differences": list(differences)}}


RECREATE = ("Removed network lab-overlay", "Created network lab-overlay with driver overlay")
SERVICE = {"Spec": {"Name": "web_php", "TaskTemplate": {"Networks": [{"Target": "n1"}]}}}
OTHER = {"Spec": {"Name": "other", "TaskTemplate": {"Networks": [{"Target": "n9"}]}}}


def net_info(name, net_id="n1", containers=None):
    network = {"Id": net_id, "Name": name, "Containers": containers or {}}
    return {"item": name, "exists": True, "network": network}


def test_only_networks_docker_would_remove_are_looked_at():
    previews = [
        preview("lab-overlay", *RECREATE, differences=["driver_options.encrypted"]),
        preview("lab-new", "Created network lab-new with driver overlay"),
        preview("lab-kept"),
        preview("lab-old", "Removed network lab-old", state="absent"),
    ]
    assert network_removals(previews) == ["lab-overlay", "lab-old"]


def test_a_network_a_service_uses_is_never_recreated():
    previews = [preview("lab-overlay", *RECREATE, differences=["driver_options.encrypted"])]
    # As the manager lists them: the service's task and the load balancer's endpoint.
    on_manager = {
        "c7": {"Name": "web_php.1.x9k2"},
        "lb-lab-overlay": {"Name": "lab-overlay-endpoint"},
    }
    infos = [net_info("lab-overlay", containers=on_manager)]
    (problem,) = network_problems(previews, infos, [OTHER, SERVICE])
    assert problem.startswith(
        "swarm_networks: lab-overlay would be removed and created again, the only way "
        "Docker changes driver_options.encrypted, and web_php use it; nothing was changed."
    )


def test_a_network_a_container_uses_is_never_removed():
    containers = {"c1": {"Name": "overlay-web"}}
    previews = [preview("lab-overlay", "Removed network lab-overlay", state="absent")]
    (problem,) = network_problems(previews, [net_info("lab-overlay", "n2", containers)], [SERVICE])
    assert "would be removed (state: absent), and container overlay-web use it" in problem


def test_a_network_nothing_uses_may_go():
    previews = [preview("lab-overlay", *RECREATE)]
    assert network_problems(previews, [net_info("lab-overlay", "n2")], [SERVICE, OTHER]) == []
    # Gone already (removed by hand between the preview and the read).
    assert network_problems(previews, [{"item": "lab-overlay", "exists": False}], [SERVICE]) == []


def test_the_filters_take_registered_loops_and_a_skipped_one():
    registered = {"results": [preview("lab-old", "Removed network lab-old", state="absent")]}
    assert swarm_network_removals(registered) == ["lab-old"]
    # A Swarm made in this run: the preview loop was skipped whole.
    assert swarm_network_removals({"skipped": True, "changed": False}) == []
    assert swarm_network_problems(registered, {"results": [net_info("lab-old")]}, []) == []
    with pytest.raises(AnsibleFilterError, match="registered results of a loop"):
        swarm_network_removals({"changed": False})


def test_run_plan_reshapes_for_a_new_swarm_a_promotion_or_a_stale_entry():
    hosts, nodes = formed()
    wants = wants_of(hosts)
    converged(nodes, wants)
    # Labels alone are no reshape: the membership tasks are skipped at once.
    wants["pi2"] = {**wants["pi2"], "labels": {"disk": "ssd"}}
    assert run_plan(["pi1"], ["pi2", "pi3"], leader_sees(hosts, nodes), wants)["reshape"] is False
    assert run_plan(["pi1", "pi2"], ["pi3"], leader_sees(hosts, nodes), wants)["reshape"] is True
    stale = [*nodes, {**nodes[2], "id": "gone", "state": "down"}]
    assert run_plan(["pi1"], ["pi2", "pi3"], leader_sees(hosts, stale), wants)["reshape"] is True
    fresh = {n: host_state(info(name=n), f"10.0.0.{i}") for i, n in enumerate(hosts, 1)}
    assert run_plan(["pi1"], ["pi2", "pi3"], fresh, wants_of(fresh))["reshape"] is True
