# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for the swarm role: who inits, who joins as what, who is
promoted, demoted, cleaned up or pruned, whether quorum survives, which labels
change.

No I/O here: the role collects `docker info` from every host and the node list
from one manager, and these functions turn that into a plan, so each rule is
unit-tested with the shapes the Docker API really returns.
"""

from __future__ import annotations

import re
from collections.abc import Collection

# The label in which the role records which label keys it set on a node, so
# that a later run removes only keys it once managed (never a label someone set
# by hand with `docker node update`).
MANAGED_LABEL = "org.pifleet.swarm.managed"
# Labels the role derives from node facts; users cannot set them per host.
FACT_LABELS = ("arch", "model")

# Docker accepts almost any key; keep to what `docker node update --label-add`
# users write and what placement constraints (node.labels.KEY) can address.
_LABEL_KEY = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


def is_label_key(key) -> bool:
    """A label key placement constraints can address, matched whole."""
    return isinstance(key, str) and bool(_LABEL_KEY.fullmatch(key))


def quorum(managers: int) -> int:
    """Raft majority of a manager set (0 managers need 0)."""
    return managers // 2 + 1 if managers > 0 else 0


def input_problems(values, context) -> list[str]:
    """The inventory's groups and every listed host's own Swarm variables.

    The argument spec checks a host's variables only for the host it runs on,
    and a host it refuses only drops out of the play, which the role could not
    tell from a host that is down. Judged here for every listed host (reached
    or not), a bad value stops the run.
    """
    managers, workers = list(context.managers), list(context.workers)
    errors = validate_groups(managers, workers, *context.groups)
    for host in sorted(dict.fromkeys(managers + workers)):
        errors += validate_labels(host, context.host_var(host, "swarm_node_labels"))
        errors += validate_host_vars(
            host,
            context.host_var(host, "swarm_node_availability"),
            context.host_var(host, "swarm_advertise_interface"),
        )
    return errors + validate_networks(values["swarm_networks"])


# Networks Docker makes itself: listing `ingress` replaced the routing mesh
# with a plain overlay; the others are the engine's own.
RESERVED_NETWORKS = ("ingress", "docker_gwbridge", "bridge", "host", "none")
_NETWORK = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


def validate_networks(networks: list[dict]) -> list[str]:
    """Errors in swarm_networks (the spec has checked the keys and types)."""
    errors, seen = [], set()
    for index, net in enumerate(networks):
        name = net["name"]
        if name in RESERVED_NETWORKS:
            errors.append(
                f"swarm_networks[{index}]: {name} is Docker's own network; "
                f"the role never manages {', '.join(RESERVED_NETWORKS)}"
            )
        elif not _NETWORK.fullmatch(name):
            errors.append(
                f"swarm_networks[{index}]: {name!r} is not a network name "
                "(letters, digits, '_', '.', '-'; 63 at most)"
            )
        elif name in seen:
            errors.append(f"swarm_networks[{index}]: {name} is listed twice")
        seen.add(name)
    return errors


def network_removals(previews: list[dict]) -> list[str]:
    """Names of the swarm_networks Docker would remove this run: to change an
    overlay's driver options, subnet or attachable flag it removes the network
    and creates it again, and state=absent removes it. `previews` are the
    docker_network results of the same tasks in check mode."""
    return [
        r["item"]["name"]
        for r in previews
        if any(str(a).startswith("Removed network") for a in r.get("actions") or [])
    ]


def network_problems(previews: list[dict], networks: list[dict], services: list[dict]) -> list[str]:
    """Why the networks Docker would remove must stay: services (on any node)
    or containers (on the manager that runs the role) use them.

    previews: docker_network results in check mode; networks:
    docker_network_info results of the networks removed; services:
    docker_swarm_info's verbose services. Docker itself refuses to remove a
    network a service uses, but docker_network force-disconnects the
    manager's containers first, and a half-done change is worse than none.
    """
    by_name = {r["item"]["name"]: r for r in previews}
    problems = []
    for info in networks:
        net = info.get("network") or {}
        name, net_id = info["item"], net.get("Id", "")
        users = sorted(
            s["Spec"]["Name"]
            for s in services
            if any(
                n.get("Target") in (net_id, name)
                for n in ((s.get("Spec") or {}).get("TaskTemplate") or {}).get("Networks") or []
            )
        )
        # The manager's own endpoints are not users of their own: the load
        # balancer's ("lb-<network>") and the tasks of the services above.
        users += sorted(
            f"container {c['Name']}"
            for key, c in (net.get("Containers") or {}).items()
            if not key.startswith("lb-") and not c["Name"].startswith(tuple(u + "." for u in users))
        )
        if not net or not users:
            continue
        preview = by_name.get(name) or {}
        if (preview.get("item") or {}).get("state", "present") == "absent":
            what = "removed (state: absent)"
        else:
            changes = (preview.get("diff") or {}).get("differences") or ["its settings"]
            what = f"removed and created again, the only way Docker changes {', '.join(changes)}"
        problems.append(
            f"swarm_networks: {name} would be {what}, and {', '.join(users)} use it; nothing "
            f"was changed. Take them off it first (docker service update --network-rm {name} "
            f"SERVICE, docker network disconnect {name} CONTAINER), or give the new settings "
            "a network of a new name"
        )
    return problems


def validate_groups(managers: list[str], workers: list[str], mgr_group: str, wrk_group: str):
    """Inventory shape errors, each naming the problem."""
    errors = []
    if not managers:
        errors.append(
            f"no managers: the group '{mgr_group}' is empty or missing; list 1, 3 or 5 hosts there"
        )
    both = sorted(set(managers) & set(workers))
    if both:
        errors.append(
            f"host(s) in both '{mgr_group}' and '{wrk_group}': {', '.join(both)}; "
            "a node is either a manager or a worker"
        )
    return errors


def validate_labels(host: str, labels) -> list[str]:
    """Errors in one host's swarm_node_labels (keys, values, reserved keys)."""
    if labels is None:
        return []
    if not isinstance(labels, dict):
        return [f"{host}: swarm_node_labels must be a mapping of key: value, got {labels!r}"]
    errors = []
    for key, value in labels.items():
        if not is_label_key(key):
            errors.append(
                f"{host}: swarm_node_labels key {key!r} is malformed "
                "(letters, digits, '.', '_', '-'; starting and ending with a letter or digit)"
            )
        elif key in FACT_LABELS or key == MANAGED_LABEL:
            errors.append(f"{host}: swarm_node_labels key {key!r} is set by the role itself")
        if isinstance(value, dict | list) or value is None:
            errors.append(f"{host}: swarm_node_labels value of {key!r} must be a plain value")
        elif "\n" in str(value):
            errors.append(f"{host}: swarm_node_labels value of {key!r} holds a newline")
    return errors


AVAILABILITIES = ("active", "pause", "drain")


def validate_host_vars(host: str, availability, interface) -> list[str]:
    """Errors in one host's swarm_node_availability and swarm_advertise_interface."""
    errors = []
    if availability is not None and availability not in AVAILABILITIES:
        errors.append(
            f"{host}: swarm_node_availability must be one of {', '.join(AVAILABILITIES)}, "
            f"got {availability!r}"
        )
    if interface is not None and not isinstance(interface, str):
        errors.append(
            f"{host}: swarm_advertise_interface must be an interface name, got {interface!r}"
        )
    return errors


def host_state(info: dict | None, addr: str | None = None) -> dict:
    """The part of one host's `docker info` the plan reads."""
    info = info or {}
    swarm = info.get("Swarm") or {}
    cluster = swarm.get("Cluster") or {}
    return {
        "node_id": swarm.get("NodeID") or "",
        "state": swarm.get("LocalNodeState") or "inactive",
        "is_manager": bool(swarm.get("ControlAvailable")),
        "cluster_id": cluster.get("ID") or "",
        "remote_managers": sorted(m.get("Addr", "") for m in swarm.get("RemoteManagers") or []),
        "hostname": info.get("Name") or "",
        "engine": info.get("ServerVersion") or "",
        "addr": addr or "",
    }


def node_summary(node: dict) -> dict:
    """The part of one `docker node inspect` object the plan reads."""
    spec = node.get("Spec") or {}
    desc = node.get("Description") or {}
    status = node.get("Status") or {}
    mgr = node.get("ManagerStatus") or {}
    return {
        "id": node.get("ID", ""),
        "hostname": desc.get("Hostname", ""),
        "role": spec.get("Role", "worker"),
        "availability": spec.get("Availability", "active"),
        "state": status.get("State", "unknown"),
        "addr": status.get("Addr", ""),
        "reachability": mgr.get("Reachability", ""),
        "leader": bool(mgr.get("Leader")),
        "labels": dict(spec.get("Labels") or {}),
        "arch": (desc.get("Platform") or {}).get("Architecture", ""),
        "engine": (desc.get("Engine") or {}).get("EngineVersion", ""),
    }


def bootstrap(managers: list[str], hosts: dict[str, dict]) -> dict:
    """Which listed manager leads this run.

    The first listed manager that already manages a Swarm is used (its Swarm is
    adopted); with none, the first listed manager not in any Swarm inits one,
    but only when every listed manager answered: a manager that is down may be
    the one that holds the Swarm, and a second Swarm would split the fleet.
    """
    for name in managers:
        h = hosts.get(name)
        if h and h["is_manager"] and h["state"] == "active":
            return {"host": name, "existing": True, "cluster_id": h["cluster_id"], "error": ""}
    missing = [name for name in managers if name not in hosts]
    if missing:
        return {
            "host": "",
            "existing": False,
            "cluster_id": "",
            "error": (
                "no reachable manager manages a Swarm, and listed manager(s) "
                f"{', '.join(missing)} did not answer: one of them may hold the Swarm, so no "
                "new one is made; bring them back (or take them out of the managers group)"
            ),
        }
    for name in managers:
        h = hosts.get(name)
        if h and h["state"] == "inactive":
            return {"host": name, "existing": False, "cluster_id": "", "error": ""}
    return {
        "host": "",
        "existing": False,
        "cluster_id": "",
        "error": (
            "no listed manager can lead: none manages a Swarm and none is free to init one "
            f"(managers: {', '.join(managers) or 'none'})"
        ),
    }


def _other_swarm(h: dict) -> str:
    return h["cluster_id"] or (
        "unknown (seen from a worker; its managers: "
        + (", ".join(h["remote_managers"]) or "none")
        + ")"
    )


def _leave_problem(name: str, h: dict) -> str:
    """Why a host may not leave its other Swarm with --force ('' when it may).

    A worker leaving takes nothing with it, nor does the only node of a Swarm
    (pi4 that once ran `docker swarm init` alone). A manager of a Swarm with
    other members holds that Swarm's state: leaving with --force dissolves it.
    """
    if not h["is_manager"]:
        return ""
    members = len(h.get("nodes") or [])
    if members == 1:
        return ""
    size = f"{members} nodes" if members else "an unknown number of nodes"
    return (
        f"{name} manages another Swarm of {size} (cluster id {_other_swarm(h)}): "
        "making it leave with --force would dissolve that Swarm, its services, "
        "secrets, configs and networks with it; swarm_force_rejoin is refused for it "
        "(list it among the managers to keep that Swarm, or remove its other nodes first)"
    )


def _classify_hosts(wanted, hosts, by_id, boot, force_rejoin):
    """Per inventory host: member of our Swarm, to join, or in another Swarm.

    force_rejoin: the hosts that may leave another Swarm to join this one.
    """
    out = {"join": {}, "leave": [], "foreign": {}, "promote": [], "demote": [], "members": {}}
    errors = []
    for name in sorted(wanted):
        h = hosts.get(name)
        if h is None:
            continue  # not reached this run: left as it is
        if name == boot.get("host"):
            if boot.get("existing"):
                out["members"][name] = h["node_id"]
            continue
        if h["state"] == "inactive":
            out["join"][name] = wanted[name]
        elif h["node_id"] and h["node_id"] in by_id:
            out["members"][name] = h["node_id"]
            if by_id[h["node_id"]]["role"] != wanted[name]:
                out["promote" if wanted[name] == "manager" else "demote"].append(name)
        else:
            other = _other_swarm(h)
            out["foreign"][name] = other
            if name not in force_rejoin:
                errors.append(
                    f"{name} belongs to a different Swarm (cluster id {other}, state "
                    f"{h['state']}); set swarm_force_rejoin: true to make it leave that "
                    "Swarm and join this one"
                )
            elif problem := _leave_problem(name, h):
                errors.append(problem)
            else:
                out["leave"].append(name)
                out["join"][name] = wanted[name]
    return out, errors


def _same_hostnames(wanted, hosts) -> list[str]:
    """Errors for reached inventory hosts whose engines share a hostname: their
    Swarm entries cannot be told apart (Pi Imager names every Pi raspberrypi)."""
    by_name: dict[str, list[str]] = {}
    for name in sorted(wanted):
        h = hosts.get(name)
        if h and h["hostname"]:
            by_name.setdefault(h["hostname"], []).append(name)
    return [
        f"{', '.join(names)} all report the hostname {hostname}: their Swarm entries "
        "cannot be told apart, so one that is off could be taken for another's leftover; "
        "give each its own hostname (node_set_hostname: true sets the inventory name)"
        for hostname, names in sorted(by_name.items())
        if len(names) > 1
    ]


def _owner(node, wanted, hosts):
    """The inventory host a node entry was (the same engine hostname), if any.

    Never an address alone: DHCP gives a Pi that is off's address to another.
    """
    for name in sorted(wanted):
        h = hosts.get(name)
        if h is not None and node["hostname"] and node["hostname"] == h["hostname"]:
            return name
    return None


def _classify_nodes(nodes, member_ids, wanted, hosts, *, joining, prune_ok, complete):
    """Per node entry not of a current member: stale, to prune, or left alone.

    An entry with a listed host's hostname is stale once it is Down, but only
    when the play reached every listed host (complete): then that host is up
    with another entry, and a Pi that is off cannot be taken for it. It is
    stale at once, even while the managers still list it Ready (they notice a
    lost engine only after a few missed heartbeats), when that host joins this
    run (its engine was wiped, or leaves another Swarm) and the entry has the
    host's address too: no other live engine can hold that address.
    """
    out = {"stale": [], "prune": [], "unmanaged": []}
    # Entries of nodes that are down go first: removing them costs the Raft
    # no reachable manager, so the live ones that follow keep their quorum.
    for node in sorted(nodes, key=lambda n: n["reachability"] == "reachable"):
        if node["id"] in member_ids:
            continue
        owner = _owner(node, wanted, hosts)
        rejoined = owner in joining and node["addr"] and node["addr"] == hosts[owner]["addr"]
        gone = (node["state"] != "ready" and complete) or rejoined
        if owner and gone:
            out["stale"].append({**node, "owner": owner})
        elif owner is None and prune_ok:
            out["prune"].append(node)
        else:
            out["unmanaged"].append(node)
    return out


def _quorum_check(nodes, boot, hosts_plan, nodes_plan):
    """Numbers and errors of the quorum guard.

    The run changes the managers one at a time, in the role's order: joins and
    promotions, then demotions, then removals of stale and pruned entries.
    Raft commits each change with a majority of the managers it has before
    it, so each step needs that majority reachable, and so does the end.
    A stale manager entry counts as unreachable whatever the Raft says (its
    engine was wiped moments ago).
    """
    errors = []
    current = [n for n in nodes if n["role"] == "manager"]
    reachable_now = {n["id"] for n in current if n["reachability"] == "reachable"}
    if nodes and len(reachable_now) < quorum(len(current)):
        errors.append(
            f"the Swarm has lost quorum already: {len(reachable_now)} of {len(current)} managers "
            f"reachable, quorum needs {quorum(len(current))}; recover it by hand "
            "(docker swarm init --force-new-cluster on a surviving manager)"
        )
        return _numbers(current, reachable_now, len(current), 0, []), errors
    stale_ids = {n["id"] for n in nodes_plan["stale"] if n["role"] == "manager"}
    config = {n["id"] for n in current}
    reachable = reachable_now - stale_ids
    added = [n for n, r in hosts_plan["join"].items() if r == "manager"]
    added += hosts_plan["promote"]
    if not boot.get("existing") and boot.get("host"):
        added.append(boot["host"])
    for name in added:
        config.add(f"host:{name}")
        reachable.add(f"host:{name}")
    peak = len(config)
    names = {hosts_plan["members"][n]: n for n in hosts_plan["demote"]}
    steps = [hosts_plan["members"][n] for n in hosts_plan["demote"]]
    for gone in nodes_plan["stale"] + nodes_plan["prune"]:
        if gone["role"] == "manager":
            steps.append(gone["id"])
            names[gone["id"]] = gone["hostname"] or gone["id"]
    done: list[str] = []
    for node_id in steps:
        done.append(names[node_id])
        if len(reachable) < quorum(len(config)):
            break  # this step cannot commit
        config.discard(node_id)
        reachable.discard(node_id)
    if steps and len(reachable) < quorum(len(config)):
        errors.append(
            f"quorum guard: demoting/removing {', '.join(done)} would leave {len(reachable)} "
            f"reachable manager(s) of {len(config)}, and quorum needs {quorum(len(config))}; "
            "nothing was changed (bring the managers that are off back first, or add "
            "managers before taking others away)"
        )
    return _numbers(current, reachable_now, peak, len(reachable), config), errors


def _numbers(current, reachable_now, peak, kept, config) -> dict:
    return {
        "managers_now": len(current),
        "reachable_now": len(reachable_now),
        "managers_peak": peak,
        "reachable_kept": kept,
        "needed": quorum(len(config)),
        "managers_after": len(config),
    }


def plan(
    managers: list[str],
    workers: list[str],
    hosts: dict[str, dict],
    nodes: list[dict],
    boot: dict,
    *,
    prune: bool = False,
    force_rejoin: bool | Collection[str] = (),
    complete: bool = True,
) -> dict:
    """Everything this run changes, and whether it may.

    managers/workers: the inventory's wish (names). hosts: host_state() per
    inventory host the play reached. nodes: node_summary() of every node the
    leading manager knows ([] when there is no Swarm yet). force_rejoin: the
    hosts that may leave another Swarm (True: all). complete: the play reached
    every inventory host (no --limit, none unreachable); pruning and removing
    Down entries are only safe then.
    """
    wanted = {**{w: "worker" for w in workers}, **{m: "manager" for m in managers}}
    by_id = {n["id"]: n for n in nodes}
    rejoin = set(wanted) if force_rejoin is True else set(force_rejoin or ())
    hosts_plan, errors = _classify_hosts(wanted, hosts, by_id, boot, rejoin)
    errors = _same_hostnames(wanted, hosts) + errors
    member_ids = set(hosts_plan["members"].values())
    nodes_plan = _classify_nodes(
        nodes,
        member_ids,
        wanted,
        hosts,
        joining=hosts_plan["join"],
        prune_ok=prune and complete,
        complete=complete,
    )
    warnings = []
    if prune and not complete:
        warnings.append(
            "swarm_prune_nodes is on but the play did not reach every inventory host "
            "(--limit or unreachable hosts): nothing is pruned this run"
        )
    kept = [
        n for n in nodes_plan["unmanaged"] if n["state"] != "ready" and _owner(n, wanted, hosts)
    ]
    if kept:
        warnings.append(
            "Down entries with the hostname of a listed host are kept, since the play did "
            "not reach every listed host: " + ", ".join(f"{n['hostname']} {n['id']}" for n in kept)
        )
    numbers, quorum_errors = _quorum_check(nodes, boot, hosts_plan, nodes_plan)
    errors += quorum_errors
    if managers and len(managers) % 2 == 0:
        warnings.append(
            f"{len(managers)} managers: an even count tolerates no more failures than "
            f"{len(managers) - 1} managers do (quorum {quorum(len(managers))}); use 1, 3 or 5"
        )
    return {
        **hosts_plan,
        **nodes_plan,
        "quorum": numbers,
        "errors": errors,
        "warnings": warnings,
    }


def label_plan(current: dict | None, fact_labels: dict, user_labels: dict | None) -> dict:
    """Labels to set and to remove on one node.

    Only keys the role set before (listed in MANAGED_LABEL) are ever removed.
    """
    current = dict(current or {})
    wanted = {k: str(v) for k, v in fact_labels.items() if v not in (None, "")}
    wanted.update({k: str(v) for k, v in (user_labels or {}).items()})
    before = {k for k in current.get(MANAGED_LABEL, "").split(",") if k}
    wanted[MANAGED_LABEL] = ",".join(sorted(k for k in wanted if k != MANAGED_LABEL))
    remove = sorted(k for k in before - set(wanted) if k in current)
    changed = bool(remove) or any(current.get(k) != v for k, v in wanted.items())
    return {"set": wanted, "remove": remove, "changed": changed}


def summary(nodes: list[dict], names: dict[str, str]) -> list[dict]:
    """One row per Swarm node, named as the inventory names it (names: node id
    -> inventory name) when it can, by its hostname otherwise."""
    rows = []
    for n in nodes:
        rows.append(
            {
                "node": names.get(n["id"], n["hostname"]),
                "id": n["id"],
                "hostname": n["hostname"],
                "role": n["role"],
                "leader": n["leader"],
                "availability": n["availability"],
                "state": n["state"],
                "arch": n["labels"].get("arch") or n["arch"],
                "model": n["labels"].get("model", ""),
                "engine": n["engine"],
            }
        )
    return sorted(rows, key=lambda r: r["node"])


def run_plan(
    managers: list[str],
    workers: list[str],
    hosts: dict[str, dict],
    wants: dict[str, dict],
    *,
    prune: bool = False,
    complete: bool = True,
) -> dict:
    """The whole plan of a run: who leads, plan() on the leader's node list,
    and per host the labels and availability to set.

    hosts: host_state() per reached inventory host, with "nodes" (node_summary()
    of every node it knows) on managers. wants: per reached host, "facts" (the
    arch and model labels), "labels" (swarm_node_labels), "availability" and
    "force_rejoin" (swarm_force_rejoin: it may leave another Swarm).
    """
    boot = bootstrap(managers, hosts)
    if not boot["host"]:
        return {"leader": boot, "errors": [boot["error"]], "warnings": []}
    nodes = (hosts[boot["host"]].get("nodes") or []) if boot["existing"] else []
    result = plan(
        managers,
        workers,
        hosts,
        nodes,
        boot,
        prune=prune,
        force_rejoin={name for name, want in wants.items() if want.get("force_rejoin")},
        complete=complete,
    )
    by_id = {n["id"]: n for n in nodes}
    update, unready = {}, []
    for name in sorted(set(hosts) & set(wants)):
        # A node that joins this run is a new entry, whatever its old one says.
        now = {} if name in result["join"] else by_id.get(hosts[name]["node_id"], {})
        want = wants[name]
        labels = label_plan(now.get("labels"), want.get("facts") or {}, want.get("labels"))
        if labels["changed"] or now.get("availability") != want["availability"]:
            update[name] = {
                "labels": labels["set"],
                "remove": labels["remove"],
                "availability": want["availability"],
            }
        if now.get("state") != "ready":
            unready.append(name)
    # Whether anyone joins, leaves or changes role: a converged fleet skips
    # all of that at once.
    reshape = not boot["existing"] or any(
        result[key] for key in ("join", "leave", "promote", "demote", "stale", "prune")
    )
    return {
        **result,
        "leader": boot,
        "nodes": nodes,
        "updates": update,
        "unready": unready,
        "reshape": reshape,
    }


def plan_line(result: dict) -> str:
    """The plan in one line, as the run reports it."""
    boot = result["leader"]
    join = ", ".join(f"{h} as {r}" for h, r in result["join"].items())
    return (
        f"leader {boot['host']}{'' if boot['existing'] else ' (init)'}; "
        f"join {join or '-'}; "
        f"promote {', '.join(result['promote']) or '-'}; "
        f"demote {', '.join(result['demote']) or '-'}; "
        f"remove stale {', '.join(n['id'] for n in result['stale']) or '-'}; "
        f"prune {', '.join(n['hostname'] for n in result['prune']) or '-'}; "
        f"managers {result['quorum']['managers_now']} -> {result['quorum']['managers_after']}"
    )
