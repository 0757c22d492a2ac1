# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure rules of the caddy role: which inputs it refuses, how each site gets
TLS, and when a deployed stack runs whole."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

# Names no public CA will certify: they get Caddy's internal CA.
LAN_SUFFIXES = (".lan", ".local", ".home.arpa", ".internal", ".localhost", ".test")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_UPSTREAM = re.compile(r"^[A-Za-z0-9._-]+(:[0-9]{1,5})?$")


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def is_hostname(name: str) -> bool:
    name = name.rstrip(".").lower()
    if name.startswith("*."):  # a wildcard certificate name
        name = name[2:]
    return 0 < len(name) <= 253 and all(_LABEL.match(label) for label in name.split("."))


def tls_mode(name: str, wanted: str = "auto") -> str:
    """`internal` or `acme` for a site name; `auto` decides by the name."""
    if wanted != "auto":
        return wanted
    lowered = name.lower().rstrip(".")
    if is_ip(lowered) or "." not in lowered or lowered.endswith(LAN_SUFFIXES):
        return "internal"
    return "acme"


# How long Docker's healthcheck options may be: Go durations.
_DURATION = re.compile(r"^([0-9]+(ns|us|ms|s|m|h))+$")
_DURATIONS = (
    "caddy_healthcheck_interval",
    "caddy_healthcheck_timeout",
    "caddy_healthcheck_start_period",
)


def input_problems(values: Mapping, context) -> list[str]:
    """The caddy role's inputs the argument spec has accepted (keys, types,
    tls, src or reverse_proxy), judged together."""
    sites = values["caddy_sites"]
    out: list[str] = [] if sites else ["caddy_sites must list at least one site"]
    seen: dict[str, int] = {}
    for index, site in enumerate(sites):
        where = f"caddy_sites[{index}] ({site['name']})"
        for name in [site["name"], *(site.get("aliases") or [])]:
            if not (is_hostname(name) or is_ip(name)):
                out.append(f"{where}: '{name}' is not a host name or IP address")
            elif name.lower() in seen:
                out.append(
                    f"{where}: '{name}' is already served by caddy_sites[{seen[name.lower()]}]"
                )
            else:
                seen[name.lower()] = index
        proxy = site.get("reverse_proxy")
        if proxy is not None and not _UPSTREAM.match(proxy):
            out.append(f"{where}: reverse_proxy must be an upstream like 'service:port'")
        if site.get("php") and not values["caddy_php_image"]:
            out.append(f"{where}: php is true but caddy_php_image is empty")
    # Docker would refuse them only at deploy, after the site files changed.
    out += [
        f"{name} must be a Docker duration such as 10s or 1m30s, not '{values[name]}'"
        for name in _DURATIONS
        if not _DURATION.match(values[name])
    ]
    return out


_REPLICAS = re.compile(r"^(\d+)/(\d+)")


def stack_shortfall(lines) -> list[str]:
    """What keeps a stack from running whole, from the lines the caddy role's
    wait prints on a manager (empty when every task runs):

    - ``node <id> <status>`` (``docker node ls``),
    - ``service <id> <name> <running>/<desired>...`` (``docker service ls``),
    - ``task <service id> <node id> <state>`` (``docker inspect`` of the tasks
      that should run).

    The wanted count is the daemon's own (for a global service it leaves out
    nodes that are down or drained), but its running count is not used: a task
    on a node that went Down (powered off, unreachable) stays "running" there
    until the node comes back, so a node lost mid-run would make a stack look
    over-full, or whole while a task is missing. Only running tasks on Ready
    nodes count. IDs may be cut short by the CLI; a prefix matches.
    """
    ready: list[str] = []
    services: list[tuple[str, str, int]] = []
    tasks: list[tuple[str, str]] = []
    for line in lines:
        kind, *fields = str(line).split() or [""]
        if kind == "node" and len(fields) >= 2 and fields[1] == "Ready":
            ready.append(fields[0])
        elif kind == "service" and len(fields) >= 3 and _REPLICAS.match(fields[2]):
            services.append((fields[0], fields[1], int(_REPLICAS.match(fields[2]).group(2))))
        elif kind == "task" and len(fields) >= 3 and fields[2] == "running":
            tasks.append((fields[0], fields[1]))
    if not services:
        return ["no service of the stack is there yet"]
    short = []
    for service_id, name, wanted in services:
        running = sum(
            1
            for task_service, task_node in tasks
            if _same_id(task_service, service_id) and any(_same_id(task_node, n) for n in ready)
        )
        if wanted == 0 or running != wanted:
            short.append(f"{name} {running}/{wanted} running on Ready nodes")
    return short


def _same_id(one: str, other: str) -> bool:
    return bool(one) and bool(other) and (one.startswith(other) or other.startswith(one))
