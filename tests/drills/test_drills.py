"""The eight fault drills, in order; each restores the fleet before the next
(conftest.restore). `-m short` runs 1, 2, 7 and 8. Drill 8 reads what all the
drills before it wrote, so it runs last.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from bad_inputs import CASES, Case
from conftest import (
    ANSIBLE_LOG,
    BORROWED,
    FACT_CACHE,
    LAB,
    LAB_OUT,
    LOGS,
    MANAGERS,
    NODES,
    OWNER_OUTPUT,
    SERVICES,
    WORKERS,
    Result,
    assert_unchanged,
    container,
    docker,
    fleet_problems,
    lab,
    node_exec,
    ok,
    run,
    services,
    site_answers,
    ssh_ready,
    swarm_nodes,
    wait_fleet_whole,
    wait_for,
)

HERE = Path(__file__).resolve().parent


def leader() -> str:
    return next(h for h, n in swarm_nodes().items() if n["leader"])


def tasks_on(host: str, manager: str = "pi1") -> list[str]:
    """Running tasks of the stack on one node (service names)."""
    out = node_exec(
        manager,
        "docker",
        "node",
        "ps",
        host,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Name}} {{.CurrentState}}",
    )
    return sorted(
        line.split(".")[0] for line in out.stdout.splitlines() if " Running " in f" {line} "
    )


def node_ready(host: str, manager: str = "pi1") -> bool:
    """Ready as the managers see it; raises with the state and message when not (for the log)."""
    fmt = "{{.Status.State}} {{.Status.Message}}"
    out = node_exec(manager, "docker", "node", "inspect", "--format", fmt, host).stdout.strip()
    if not out.startswith("ready"):
        raise ValueError(out)
    return True


def pid1_start(host: str) -> str:
    """When the node's PID 1 started: changes on every reboot of a lab node."""
    return node_exec(host, "cut", "-d", " ", "-f22", "/proc/1/stat").stdout.strip()


# --- 1 -----------------------------------------------------------------------------------


@pytest.mark.short
@pytest.mark.drill(
    1,
    "worker recreated blank",
    fault="pi4 destroyed and started again blank (`lab.sh recreate pi4`: new disk, no engine)",
    survives="the next site.yml run (pipelining off) re-joins it, and ends only once pi4 serves "
    "HTTPS; no task was ever sent to pi4 before its site files were there; every service back "
    "at full replicas",
)
def test_drill_1_blank_worker_rejoins(record):
    old = swarm_nodes()["pi4"]["id"]
    lab("recreate", "pi4")
    blank = node_exec("pi4", "sh", "-c", "command -v dockerd", check=False)
    assert blank.returncode != 0, "the recreated pi4 must have no engine yet"
    # Without pipelining (Ansible's default; ansible.cfg turns it on): modules and
    # their arguments (the join token) travel as files on the node, which
    # drill 8 then scans (issue 18 item 17).
    result = ok(run("drill1-site", env={"ANSIBLE_PIPELINING": "False"}))
    nodes = swarm_nodes()
    assert sorted(nodes) == sorted(NODES), f"stale or missing entries: {sorted(nodes)}"
    assert nodes["pi4"]["id"] != old and nodes["pi4"]["role"] == "worker"
    # At the end of the run, not a while after it (issue 18 item 4: a run
    # once ended while the new node's tasks were rejected).
    assert site_answers("pi4"), "site.yml ended before pi4 served the site"
    fmt = "{{.Name}} {{.CurrentState}} {{.Error}}"
    history = node_exec(
        "pi1", "docker", "service", "ps", "--filter", "node=pi4", "--format", fmt, *SERVICES
    )
    assert "Rejected" not in history.stdout, history.stdout
    wait_fleet_whole(120)
    record.notes.append(
        f"site.yml (pipelining off) on the blank pi4: {result.seconds:.0f} s, changed "
        f"{result.recap['pi4']['changed']} on pi4; new node id, old entry removed; "
        f"services {services()}"
    )


# --- 2 -----------------------------------------------------------------------------------


@pytest.mark.short
@pytest.mark.drill(
    2,
    "1 of 3 managers killed",
    fault="`docker kill` of the Raft leader's lab container (a manager losing power)",
    survives="HTTPS on every other node within 30 s; `docker node ls` on a survivor; "
    "the next swarm.yml run names the lost manager; after a restart it is Ready and "
    "Reachable again, its Caddy task back",
)
def test_drill_2_manager_killed(record):
    lost = leader()
    survivors = [h for h in NODES if h != lost]
    manager = next(h for h in MANAGERS if h != lost)
    docker("kill", container(lost))
    killed_at = time.monotonic()
    state = docker("inspect", "-f", "{{.State.Status}}", container(lost)).stdout.strip()
    assert state == "exited", f"{lost} came back by itself ({state}): the fault did not hold"

    wait_for(
        f"the PHP page over HTTPS on {', '.join(survivors)}",
        lambda: all(site_answers(h) for h in survivors),
        timeout=30,
        every=0.5,
    )
    answered = time.monotonic() - killed_at
    node_ls = wait_for(
        f"`docker node ls` on {manager}",
        lambda: node_exec(manager, "docker", "node", "ls", check=False).returncode == 0,
        timeout=30,
    )
    assert node_ls
    wait_for(
        f"{lost} seen down from {manager}",
        lambda: swarm_nodes(manager)[lost]["status"] == "down",
        timeout=60,
        every=2,
    )

    # The Swarm stage alone: the stages before it have nothing to do with the
    # Swarm, and the short drills go into `make test`.
    during = run("drill2-swarm-manager-lost", playbook="playbooks/swarm.yml", timeout=600)
    assert during.rc != 0, "a run with a manager lost must not end as a success"
    recap = during.recap
    assert recap[lost]["unreachable"] > 0, recap
    assert f"fatal: [{lost}]: UNREACHABLE!" in during.output
    # The other nodes went on; the run names the lost one (the YAML callback may
    # fold the line, hence the whitespace collapsed).
    flat = " ".join(during.output.split())
    reported = f"not reached this run, left as they are (nothing is pruned): {lost}"
    assert reported in flat, during.output[-3000:]
    for survivor in survivors:
        assert recap[survivor]["failed"] == 0 and recap[survivor]["unreachable"] == 0, recap

    docker("start", container(lost))
    wait_for(f"{lost} back over SSH", lambda: ssh_ready(lost), 180, every=2)
    after = ok(run("drill2-swarm-manager-back", playbook="playbooks/swarm.yml", timeout=600))
    nodes = swarm_nodes(manager)
    assert nodes[lost]["status"] == "ready" and nodes[lost]["reachability"] == "reachable", nodes
    wait_fleet_whole(120, manager)
    record.notes += [
        f"killed {lost} (the leader); the site answered on {', '.join(survivors)} "
        f"{answered:.1f} s after the kill",
        f"run with {lost} lost: rc={during.rc}, {during.seconds:.0f} s; recap {lost}: "
        f"{recap[lost]}; the others went on and it said: {reported!r}",
        f"{lost} started again: next run rc=0 in {after.seconds:.0f} s; Ready, Reachable",
    ]


# --- 3 -----------------------------------------------------------------------------------

LABEL = {"swarm_node_labels": {"drill": "three"}}


@pytest.mark.drill(
    3,
    "node unreachable during a run",
    fault="pi4 paused (`docker pause`: no answer at all) as the run reaches the docker stage, "
    "during a run that labels every node",
    survives="pi1-pi3 converge (labelled, stack whole); the run ends listing pi4; "
    "nothing half-done; pi4 converges on the next run",
)
def test_drill_3_unreachable_during_run(record):
    paused = threading.Event()

    def pause_at_docker_stage(line, _proc):
        if not paused.is_set() and line.startswith("PLAY [Install and configure Docker Engine]"):
            docker("pause", container("pi4"))
            paused.set()

    result = run("drill3-pi4-unreachable", "-e", json.dumps(LABEL), on_line=pause_at_docker_stage)
    assert paused.is_set(), "the run never reached the docker stage"
    recap = result.recap
    record.notes.append(f"run rc={result.rc}, {result.seconds:.0f} s, recap {recap}")
    assert result.rc != 0
    assert recap["pi4"]["unreachable"] > 0, recap
    others = {h: recap[h] for h in NODES if h != "pi4"}
    failed = {h: r for h, r in others.items() if r["failed"] or r["unreachable"]}
    messages = sorted({line.strip() for line in result.output.splitlines() if "msg:" in line})
    record.notes.append(f"messages: {messages[:4]}")
    assert not failed, f"the reachable nodes did not converge: {failed}; {messages[:4]}"
    # What the others are left with, while pi4 is still out.
    labels = {h: n["labels"].get("drill") for h, n in swarm_nodes().items()}
    assert labels == {"pi1": "three", "pi2": "three", "pi3": "three", "pi4": None}, labels
    problems = fleet_problems(without=("pi4",))
    assert not problems, problems
    record.notes.append("with pi4 still out: pi1-pi3 labelled, Caddy on each, PHP 2/2, HTTPS")
    docker("unpause", container("pi4"))
    wait_fleet_whole(120)

    ok(run("drill3-pi4-back", "-e", json.dumps(LABEL)))
    assert swarm_nodes()["pi4"]["labels"].get("drill") == "three"
    # Back to the lab's own inventory: the label the role set goes away again.
    ok(run("drill3-labels-off", playbook="playbooks/swarm.yml"))
    assert all("drill" not in n["labels"] for n in swarm_nodes().values())


# --- 4 -----------------------------------------------------------------------------------


@pytest.mark.drill(
    4,
    "run killed mid-way",
    fault="SIGKILL to the whole ansible-playbook process group 8 s into the engine's "
    "apt install on a blank pi4 (at most 300 s into the run)",
    survives="the next run completes, and the one after changes nothing",
)
def test_drill_4_interrupted_run(record):
    lab("recreate", "pi4")
    armed = threading.Event()

    def kill_group(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    def kill_during_install(line, proc):
        # The docker role's first install on a blank node is the engine's.
        if not armed.is_set() and line.startswith("TASK [pifleet.swarm.docker : Install "):
            armed.set()
            threading.Timer(8, kill_group, args=(proc,)).start()

    # The bound: even if the task never shows, the run dies 300 s in.
    result = run("drill4-killed", timeout=300, on_line=kill_during_install)
    assert armed.is_set(), f"never reached the apt install ({result.seconds:.0f} s): {result.log}"
    assert result.rc == -signal.SIGKILL, f"the run ended on its own: rc={result.rc}"
    audit = node_exec("pi4", "dpkg", "--audit", check=False).stdout.strip()
    record.notes.append(
        f"killed {result.seconds:.0f} s into the run (8 s into the engine's install); "
        f"dpkg --audit on pi4 afterwards: {audit.splitlines()[0] if audit else 'clean'}"
    )

    again = ok(run("drill4-next", timeout=1500))
    third = ok(run("drill4-idempotent"))
    assert_unchanged(third)
    wait_fleet_whole(120)
    record.notes.append(
        f"next run rc=0 in {again.seconds:.0f} s; the one after changed=0 on every node "
        f"({third.seconds:.0f} s)"
    )


# --- 5 -----------------------------------------------------------------------------------


def membership() -> dict:
    return {h: (n["id"], n["role"], n["status"], n["labels"]) for h, n in swarm_nodes().items()}


@pytest.mark.drill(
    5,
    "node holding another Swarm's state",
    fault="pi4 leaves and inits a Swarm of its own (a Pi moved from another cluster)",
    survives="a clear error naming pi4 and the other cluster id, nothing changed; "
    "with swarm_force_rejoin: true it re-joins",
)
def test_drill_5_foreign_swarm(record):
    node_exec("pi4", "docker", "swarm", "leave", "--force")
    node_exec("pi4", "docker", "swarm", "init", "--advertise-addr", "eth0")
    other = json.loads(node_exec("pi4", "docker", "info", "--format", "{{json .Swarm}}").stdout)
    other_id = other["Cluster"]["ID"]
    # The entry pi4 left behind turns down once its heartbeats stop: wait for
    # that, so the snapshot below only moves if the run changes something.
    wait_for("pi4's old entry seen down", lambda: swarm_nodes()["pi4"]["status"] == "down", 60, 2)
    before = membership()

    refused = run("drill5-foreign", playbook="playbooks/swarm.yml")
    assert refused.rc != 0
    expected = f"pi4 belongs to a different Swarm (cluster id {other_id}"
    assert expected in refused.output, refused.output[-3000:]
    assert "swarm_force_rejoin" in refused.output
    assert set(refused.changed.values()) == {0}
    assert membership() == before

    # site.yml, as a user would: pi4 joins as a new node, which gets its
    # Caddy task only once the caddy role has copied its site files there.
    ok(run("drill5-force-rejoin", "-e", "swarm_force_rejoin=true"))
    nodes = swarm_nodes()
    assert sorted(nodes) == sorted(NODES), sorted(nodes)
    assert nodes["pi4"]["role"] == "worker" and nodes["pi4"]["status"] == "ready"
    wait_fleet_whole(120)
    message = next(line.strip() for line in refused.output.splitlines() if expected in line)
    record.notes.append(f"refused with: {message[:300]}")


# --- 6 -----------------------------------------------------------------------------------


CMDLINE = "/boot/firmware/cmdline.txt"


class NodeWatch:
    """Samples, once a second until stopped, how a manager sees each node:
    (seconds since start, {hostname: (status, availability)}), asking pi1, or
    pi2 while pi1 does not answer. A sample neither can take is left out."""

    def __init__(self, managers: tuple[str, ...] = ("pi1", "pi2")):
        self.managers, self.samples = managers, []
        self._stop, self._start = threading.Event(), time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        fmt = "{{.Hostname}} {{.Status}} {{.Availability}}"
        while not self._stop.wait(1):
            for manager in self.managers:
                argv = ("docker", "node", "ls", "--format", fmt)
                try:
                    out = node_exec(manager, *argv, check=False, timeout=5)
                except subprocess.TimeoutExpired:
                    continue  # its engine is restarting: ask the next one
                if out.returncode == 0:
                    seen = {
                        f[0]: (f[1].lower(), f[2].lower())
                        for f in (line.split() for line in out.stdout.splitlines())
                        if len(f) == 3
                    }
                    self.samples.append((time.monotonic() - self._start, seen))
                    break

    def __enter__(self) -> NodeWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def away(self, host: str) -> list[float]:
        """When the host was seen drained or paused: the roll drains a node
        before it goes and makes it active once back. (Not Down or Unknown:
        while managers elect a leader they say that of nodes that never left.)"""
        return [t for t, seen in self.samples if host in seen and seen[host][1] != "active"]

    def check_rolled(self, *groups: set[str]) -> list[tuple[float, float, str]]:
        """Each host of the groups was seen drained, never two at once, every
        host of a group before any of the next (in a group, any order: the
        play's); returns when each was drained (start, end, host)."""
        order = [h for group in groups for h in sorted(group)]
        away = {h: self.away(h) for h in order}
        assert all(away.values()), f"a node was never seen drained: {away}"
        spans = sorted((min(t), max(t), h) for h, t in away.items())
        seen = [h for _, _, h in spans]
        got, start = [], 0
        for group in groups:
            got.append(set(seen[start : start + len(group)]))
            start += len(group)
        assert got == list(groups), f"not in the order {groups}: {spans}"
        for (_, end, first), (start, _, second) in itertools.pairwise(spans):
            assert end < start, f"{first} and {second} were away at the same time: {spans}"
        return spans


def engine_pid(host: str) -> str:
    return node_exec(host, "systemctl", "show", "--value", "-p", "MainPID", "docker").stdout.strip()


@pytest.mark.drill(
    6,
    "nodes rebooted, engines restarted, rolling",
    fault="cgroup_enable=memory dropped from the cmdline.txt of pi4 (a worker), pi2 and pi3 "
    "(managers): site.yml puts it back and reboots them; then a new docker_daemon_options "
    "value: docker.yml restarts every engine",
    survives="one node at a time, each drained before it goes and active again after, "
    "worker first, managers after; each comes back as the same Swarm node (same id), "
    "managers Reachable, with its Caddy task, answering HTTPS",
)
def test_drill_6_rolling_reboot_and_restart(record):
    rebooted = ("pi4", "pi2", "pi3")
    before = swarm_nodes()
    booted = {h: pid1_start(h) for h in rebooted}
    for host in rebooted:
        node_exec(host, "sed", "-i", "s/ *cgroup_enable=memory//", CMDLINE, check=True)
    with NodeWatch() as watch:
        result = ok(run("drill6-reboot"))
    for host in rebooted:
        assert pid1_start(host) != booted[host], f"{host} did not reboot"
    # The worker first, then the managers (in the play's order).
    reboots = watch.check_rolled({"pi4"}, {"pi2", "pi3"})
    restarted = NODES
    engines = {h: engine_pid(h) for h in NODES}
    option = json.dumps({"docker_daemon_options": {"max-concurrent-uploads": 3}})
    with NodeWatch() as watch:
        restart = ok(run("drill6-restart", "-e", option, playbook="playbooks/docker.yml"))
    for host in restarted:
        assert engine_pid(host) != engines[host], f"{host}'s engine did not restart"
    restarts = watch.check_rolled(set(WORKERS), set(MANAGERS))
    nodes = swarm_nodes()
    for host in NODES:
        assert nodes[host]["id"] == before[host]["id"], f"{host} came back as a new node"
        assert nodes[host]["availability"] == "active", f"{host} was left {nodes[host]}"
    assert all(nodes[h]["reachability"] == "reachable" for h in MANAGERS)
    # The runs ended successfully; each node must be back as a Swarm member too.
    for host in NODES:
        wait_for(f"{host} Ready", lambda h=host: node_ready(h), 120, 2)
        wait_for(f"the Caddy task on {host}", lambda h=host: "web_caddy" in tasks_on(h), 120, 2)
    wait_fleet_whole(120)
    # Put the inventory's daemon.json back (another roll): the fleet is whole
    # either way, so the restore fixture would not, and the next drill's first
    # run would otherwise restart every engine.
    back = ok(run("drill6-restart-back", playbook="playbooks/docker.yml"))
    wait_fleet_whole(120)

    def spans(found):
        return ", ".join(f"{h} {a:.0f}-{b:.0f}" for a, b, h in found)

    record.notes.append(
        f"site.yml with three reboots: {result.seconds:.0f} s, drained (s into the run): "
        f"{spans(reboots)}; docker.yml restarting four engines: {restart.seconds:.0f} s, "
        f"drained: {spans(restarts)}; the option removed again: {back.seconds:.0f} s"
    )


# --- 7 -----------------------------------------------------------------------------------


def fingerprint() -> dict[str, str]:
    """What a run that fails before any change must leave as it was, per node and Swarm."""
    script = (
        "cat /boot/firmware/cmdline.txt /etc/docker/daemon.json;"
        " find /srv/pifleet /var/lib/pifleet -type f -exec sha256sum {} + | sort;"
        " dpkg-query -W -f '${Package} ${Version}\\n' | sha256sum;"
        " docker image ls -q --no-trunc | sort"
    )
    with ThreadPoolExecutor(max_workers=len(NODES)) as pool:
        reads = pool.map(lambda h: node_exec(h, "sh", "-c", script).stdout, NODES)
        out = dict(zip(NODES, reads, strict=True))
    swarm_state = (
        "docker service inspect --format '{{.Spec.Name}} {{.Version.Index}}' web_caddy web_php;"
        " docker config ls -q | sort; docker network ls -q | sort; docker secret ls -q | sort"
    )
    out["swarm"] = node_exec("pi1", "sh", "-c", swarm_state).stdout + json.dumps(membership())
    return out


def attempt(case: Case) -> tuple[Case, Result]:
    if case.kind == "module":
        argv = ["pi1", "-b", "-m", case.playbook, "-a", json.dumps(case.args)]
        return case, run(f"drill7-{case.id}", *argv, adhoc=True, playbook=None, timeout=300)
    inventory = [LAB_OUT / "inventory.yml"]
    if case.inventory:
        inventory.append(HERE / "inventories" / f"{case.inventory}.yml")
    extra = ["-e", json.dumps(case.extra)] if case.extra else []
    return case, run(
        f"drill7-{case.id}",
        *extra,
        playbook=f"playbooks/{case.playbook}",
        inventory=inventory,
        timeout=300,
    )


def failure_message(case: Case, result: Result) -> str:
    lines = [line.strip() for line in result.output.splitlines() if case.expect in line]
    return (lines[0] if lines else "")[:300]


@pytest.mark.short
@pytest.mark.drill(
    7,
    "bad inputs",
    fault=f"{len(CASES)} bad inputs: inventory files, role variables, module options",
    survives="each run fails with a message naming the problem, changed=0 on every host, "
    "nodes and Swarm byte for byte as before",
)
def test_drill_7_bad_inputs(record):
    kinds = {c.kind for c in CASES}
    assert len(CASES) >= 15 and kinds == {"inventory", "variable", "module"}
    # One case at a time, the nodes and the Swarm read after each: a case
    # that changed something is named, not only the batch it ran in.
    before = fingerprint()
    bad, unchanged = [], 0
    for case in CASES:
        _, result = attempt(case)
        message = failure_message(case, result)
        problems = []
        if result.rc == 0:
            problems.append("accepted")
        if not message:
            problems.append(f"no '{case.expect}' in the output")
        changed = {h: c for h, c in result.changed.items() if c}
        if changed:
            problems.append(f"changed on {changed}")
        if case.kind == "module" and '"changed": true' in result.output:
            problems.append("the module reported a change")
        after = fingerprint()
        moved = sorted(k for k in before if before[k] != after[k])
        if moved:
            problems.append(f"nodes or Swarm changed: {moved}")
        else:
            unchanged += 1
        before = after
        record.cases.append(
            {
                "id": case.id,
                "kind": case.kind,
                "input": case.describe(),
                "result": "pass" if not problems else "FAIL: " + "; ".join(problems),
                "unchanged": "yes" if not moved else "NO: " + ", ".join(moved),
                "message": message or result.output[-300:],
                "seconds": round(result.seconds, 1),
            }
        )
        if problems:
            bad.append(f"{case.id}: {'; '.join(problems)} ({result.log.name})")
    record.notes.append(
        f"{len(CASES)} inputs tried, one at a time; nodes and Swarm unchanged after"
        f" {unchanged} of them (read on every node and the Swarm after each)"
    )
    assert not bad, bad


# --- 8 -----------------------------------------------------------------------------------

TOKEN = "SWMTKN-"
# On the nodes the engine's own binaries carry the prefix as a constant, so a
# leak there is a whole token: SWMTKN-1-<cluster CA digest>-<secret>.
TOKEN_RE = "SWMTKN-1-[0-9a-z]{20,}-[0-9a-z]{20,}"
# A PEM private key with its body: ssh's binaries carry the header alone.
KEY_RE = "-----BEGIN [A-Z ]*PRIVATE KEY-----\\r?\\n[A-Za-z0-9+/]{40}"
# Every regular file outside the engine's own Swarm state (and the kernel's
# pseudo file systems), read as text; then the journal, which keeps module
# invocations (Ansible logs each module's arguments there unless no_log).
NODE_SCAN = (
    "find / \\( -path /proc -o -path /sys -o -path /dev -o -path /var/lib/docker/swarm \\)"
    " -prune -o -type f -print0 | xargs -0 -r grep -l -a -E -s -e '{token}' ;"
    " journalctl --no-pager -o cat 2>/dev/null | grep -c -E -e '{token}' | sed 's/^/journal:/'"
)
# Private keys: outside Docker's storage (its secrets and volumes, where the
# stack's CA lives by design) and the node's own SSH host keys; whole files
# (-z) so the key's body after its header is seen.
NODE_KEY_SCAN = (
    "find / \\( -path /proc -o -path /sys -o -path /dev -o -path /var/lib/docker"
    " -o -path /etc/ssh \\) -prune -o -type f -size -2M -print0"
    " | xargs -0 -r grep -l -a -s -z -P -e '{key}' ;"
    " journalctl --no-pager -o cat 2>/dev/null | grep -c -E -e 'BEGIN [A-Z ]*PRIVATE KEY'"
    " | sed 's/^/journal:/'"
)
PEM_KEY = re.compile(KEY_RE.encode())


def controller_hits(paths: list[Path], skip: tuple[Path, ...] = ()) -> list[str]:
    """Files holding a join token or a private key (but the lab's own SSH key)."""
    hits = []
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            if f in skip:
                continue
            data = f.read_bytes()
            if TOKEN.encode() in data or PEM_KEY.search(data):
                hits.append(str(f))
    return hits


def node_hits(host: str) -> list[str]:
    out = node_exec(host, "sh", "-c", NODE_SCAN.format(token=TOKEN_RE), check=False).stdout
    out += node_exec(host, "sh", "-c", NODE_KEY_SCAN.format(key=KEY_RE), check=False).stdout
    return [line for line in out.splitlines() if line and line != "journal:0"]


@pytest.mark.short
@pytest.mark.drill(
    8,
    "no join token or private key anywhere",
    fault="every run of the drills before this one (their output, log_path, fact cache), "
    "drill 1's re-join with pipelining off (module files on the node) among them",
    survives="`SWMTKN-` and PEM private keys in none of them, nor on any node's disk or "
    "journal outside Docker's storage (and a node's SSH host keys)",
)
def test_drill_8_no_token_leaks(record, tmp_path):
    # The scans must be able to find a token: the real one starts with the
    # prefix, and a planted copy is found on the controller and on a node.
    real = node_exec("pi1", "docker", "swarm", "join-token", "-q", "worker").stdout.strip()
    assert real.startswith(TOKEN) and re.fullmatch(TOKEN_RE, real)
    (tmp_path / "planted").write_text(f"x {TOKEN}planted\n")
    # The shape of a PEM key (a header and a body), not a real one.
    pem = "-----BEGIN EC PRIVATE KEY-----\n" + "A" * 64 + "\n-----END EC PRIVATE KEY-----\n"
    (tmp_path / "planted.pem").write_text(pem)
    (tmp_path / "header-only").write_text("-----BEGIN PRIVATE KEY-----\n(no body)\n")
    assert controller_hits([tmp_path]) == [str(tmp_path / p) for p in ("planted", "planted.pem")]
    fake = "SWMTKN-1-" + "0" * 50 + "-" + "a" * 25  # the shape of a token, not a real one
    node_exec("pi4", "sh", "-c", f"echo {fake} > /root/drill8-planted")
    node_exec("pi4", "sh", "-c", f"printf -- '{pem}' > /root/drill8-planted.pem")
    try:
        found = node_hits("pi4")
        assert "/root/drill8-planted" in found and "/root/drill8-planted.pem" in found, found
    finally:
        node_exec("pi4", "rm", "-f", "/root/drill8-planted", "/root/drill8-planted.pem")

    logs = sorted(LOGS.glob("*.log"))
    cached = sorted(p for p in FACT_CACHE.rglob("*") if p.is_file())
    assert logs and ANSIBLE_LOG.stat().st_size > 0 and cached, "nothing to scan"
    # A borrowed fleet was converged, re-run and verified by its owner: that
    # output is as likely a place for a token as the drills' own.
    assert not BORROWED or OWNER_OUTPUT, f"DRILLS_LAB={BORROWED} without DRILLS_SCAN"
    assert all(p.stat().st_size > 0 for p in OWNER_OUTPUT), OWNER_OUTPUT
    scanned = [LOGS, ANSIBLE_LOG, FACT_CACHE, LAB_OUT, *OWNER_OUTPUT]
    assert controller_hits(scanned, skip=(LAB.key,)) == []
    found = {h: node_hits(h) for h in NODES}
    record.notes.append(
        f"scanned {len(logs)} run outputs, {ANSIBLE_LOG.stat().st_size // 1024} KiB of log_path, "
        f"{len(cached)} fact cache files, "
        f"{', '.join(p.name for p in OWNER_OUTPUT) or 'no output of another harness'}, "
        "and the 4 nodes' disks and journals"
    )
    assert found == {h: [] for h in NODES}, found
