"""When a stack runs whole: running tasks on Ready nodes only, the Swarm's own
wanted count, updates under way or rolled back (module_utils/_stack.py, the
stack_status module's rules), from what the Engine API returns."""

from ansible_collections.pifleet.swarm.plugins.module_utils._stack import status

N1, N2, N3, DOWN = "n1" + "a" * 23, "n2" + "b" * 23, "n3" + "c" * 23, "n4" + "d" * 23
CADDY, PHP = "s1caddy" + "0" * 18, "s2php" + "0" * 20


def node(nid, state="ready"):
    return {"ID": nid, "Status": {"State": state}}


def service(sid, name, desired, update=None):
    out = {"ID": sid, "Spec": {"Name": name}, "ServiceStatus": {"DesiredTasks": desired}}
    if update:
        out["UpdateStatus"] = {"State": update}
    return out


def task(sid, nid, state="running"):
    return {"ServiceID": sid, "NodeID": nid, "Status": {"State": state}}


NODES = [node(N1), node(N2), node(N3)]
SERVICES = [service(CADDY, "web_caddy", 3), service(PHP, "web_php", 2)]
WHOLE = [task(CADDY, N1), task(CADDY, N2), task(CADDY, N3), task(PHP, N1), task(PHP, N2)]


def test_stack_whole():
    now = status(NODES, SERVICES, WHOLE)
    assert now["shortfall"] == [] and now["updating"] == [] and now["rolled_back"] == []
    assert [(s["name"], s["running"], s["desired"]) for s in now["services"]] == [
        ("web_caddy", 3, 3),
        ("web_php", 2, 2),
    ]


def test_each_service_says_which_stack_file_it_runs_from():
    # The caddy role deploys only when a service lacks the file's digest label.
    labelled = service(CADDY, "web_caddy", 3)
    labelled["Spec"]["Labels"] = {"org.pifleet.caddy.stack": "0123456789abcdef"}
    now = status(NODES, [labelled, service(PHP, "web_php", 2)], WHOLE)
    assert [s["labels"] for s in now["services"]] == [
        {"org.pifleet.caddy.stack": "0123456789abcdef"},
        {},
    ]


def test_stack_not_deployed_yet():
    assert status(NODES, [], [])["shortfall"] == ["no service of the stack is there yet"]


def test_task_still_starting():
    tasks = [*WHOLE[:4], task(PHP, N2, "starting")]
    assert status(NODES, SERVICES, tasks)["shortfall"] == ["web_php 1/2 running on Ready nodes"]


def test_tasks_on_a_down_node_do_not_count():
    """What docker service ls showed with pi4 paused: web_caddy 4/3 and
    web_php 3/2 (the tasks on the Down node still "running"). The stack is
    whole on the nodes that are up."""
    tasks = [*WHOLE, task(CADDY, DOWN), task(PHP, DOWN)]
    assert status([*NODES, node(DOWN, "down")], SERVICES, tasks)["shortfall"] == []


def test_a_task_on_a_down_node_does_not_hide_a_missing_one():
    """docker service ls would read 2/2 here: one task on a Ready node and
    one left on the Down node; the replacement is not running yet."""
    tasks = [*WHOLE[:4], task(PHP, DOWN)]
    assert status([*NODES, node(DOWN, "down")], SERVICES, tasks)["shortfall"] == [
        "web_php 1/2 running on Ready nodes"
    ]


def test_a_service_scaled_to_zero_is_not_whole():
    now = status(NODES, [service("s3", "web_zero", 0), SERVICES[1]], WHOLE[3:])
    assert now["shortfall"] == ["web_zero 0/0 running on Ready nodes"]


def test_a_task_of_another_service_does_not_count():
    tasks = [*WHOLE[:3], task("s9other", N1), task("s9other", N2)]
    assert status(NODES, SERVICES, tasks)["shortfall"] == ["web_php 0/2 running on Ready nodes"]


def test_updates_under_way_and_rolled_back():
    services = [
        service(CADDY, "web_caddy", 3, "updating"),
        service(PHP, "web_php", 2, "rollback_completed"),
    ]
    now = status(NODES, services, WHOLE)
    assert now["shortfall"] == []
    assert now["updating"] == ["web_caddy"] and now["rolled_back"] == ["web_php"]
    done = status(NODES, [service(CADDY, "web_caddy", 3, "completed"), SERVICES[1]], WHOLE)
    assert done["updating"] == [] and done["rolled_back"] == []


SECOND = 10**9


def paced(sid, name, desired, state, *, parallelism=1, delay=5, monitor=20, rollback=None):
    out = service(sid, name, desired, state)
    out["Spec"]["UpdateConfig"] = {
        "Parallelism": parallelism,
        "Delay": delay * SECOND,
        "Monitor": monitor * SECOND,
    }
    if rollback:
        out["Spec"]["RollbackConfig"] = rollback
    return out


def test_a_rolling_update_is_owed_its_pace():
    # 4 Caddy tasks one at a time, each followed by 5 s and watched for 20 s:
    # 100 s; 2 PHP tasks two at a time: one batch of 25 s.
    services = [
        paced(CADDY, "web_caddy", 4, "updating"),
        paced(PHP, "web_php", 2, "updating", parallelism=2),
    ]
    assert status(NODES, services, WHOLE)["rollout_seconds"] == 125.0


def test_only_updates_under_way_are_owed_time():
    services = [
        paced(CADDY, "web_caddy", 4, "completed"),
        paced(PHP, "web_php", 2, "rollback_completed"),
        service("s3" + "0" * 23, "web_other", 3),
    ]
    assert status(NODES, services, WHOLE)["rollout_seconds"] == 0.0


def test_a_rollback_is_paced_by_its_own_config():
    # Parallelism 0 rolls every task back at once: one batch, no delay or monitor set.
    services = [paced(CADDY, "web_caddy", 4, "rollback_started", rollback={"Parallelism": 0})]
    assert status(NODES, services, WHOLE)["rollout_seconds"] == 0.0
    services = [
        paced(
            CADDY,
            "web_caddy",
            3,
            "rollback_started",
            rollback={"Parallelism": 1, "Delay": 2 * SECOND},
        )
    ]
    assert status(NODES, services, WHOLE)["rollout_seconds"] == 6.0
