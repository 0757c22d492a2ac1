# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker role's rules: daemon.json is the user's options merged over the
role's defaults, and what in it cannot work on a node is refused before the
node is touched.

Pure functions (no Ansible imports), tested on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merge(defaults: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``options`` over ``defaults``, recursing into dicts.

    - A key set to ``None`` in ``options`` removes it (how a user drops a default).
    - When ``options`` picks another ``log-driver`` and says nothing about ``log-opts``,
      the default ``log-opts`` are dropped: they belong to the default driver, and
      dockerd refuses to start on options its driver does not know (``max-file`` on
      journald, for example).
    """
    result: dict[str, Any] = {}
    for key, value in defaults.items():
        result[key] = _copy(value)
    driver_changed = "log-driver" in options and options["log-driver"] != defaults.get("log-driver")
    if driver_changed and "log-opts" not in options:
        result.pop("log-opts", None)
    for key, value in options.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge(result[key], value)
        else:
            result[key] = _copy(value)
    return normalise(result)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def normalise(config: Mapping[str, Any]) -> dict[str, Any]:
    """Make YAML-typed values what dockerd expects.

    ``log-opts`` values must be JSON strings (dockerd refuses ``"max-file": 3``),
    but YAML users naturally write ``max-file: 3``.
    """
    result = dict(config)
    opts = result.get("log-opts")
    if isinstance(opts, Mapping):
        result["log-opts"] = {k: _as_str(v) for k, v in opts.items()}
    return result


def _as_str(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def input_problems(values: Mapping[str, Any], context) -> list[str]:
    """The docker role's inputs the argument spec has accepted, judged together."""
    config = merge(values["docker_daemon_defaults"], values["docker_daemon_options"])
    member = context.host in (*context.managers, *context.workers)
    return problems(config, swarm_member=member)


def problems(config: Mapping[str, Any], *, swarm_member: bool) -> list[str]:
    """What in a daemon.json cannot work on this node, as messages naming the option."""
    found = []
    live_restore = config.get("live-restore")
    if live_restore is not None and not isinstance(live_restore, bool):
        found.append(
            f"docker_daemon_options: live-restore must be true or false, got {live_restore!r}"
        )
    if live_restore is True and swarm_member:
        found.append(
            "docker_daemon_options: live-restore: true is incompatible with Docker Swarm "
            "mode, and this node is one of the fleet's Swarm hosts: dockerd "
            "refuses to start with both. Drop live-restore for Swarm nodes."
        )
    if "hosts" in config:
        # The engine's systemd unit passes -H fd:// already: dockerd refuses a
        # second source of listeners and does not start (all nodes at once).
        # And a tcp:// listener without TLS hands root on the node to the LAN.
        found.append(
            "docker_daemon_options: hosts is refused: the engine's systemd unit sets "
            "its listeners (-H fd://), so dockerd would not start with both, and a "
            "tcp:// socket without TLS gives root on the node to anyone on the LAN; "
            "use `docker context` over SSH (ssh://pi@node) to reach an engine remotely"
        )
    opts = config.get("log-opts")
    if opts is not None and not isinstance(opts, Mapping):
        found.append("docker_daemon_options: log-opts must be a mapping of strings")
    elif isinstance(opts, Mapping):
        bad = sorted(k for k, v in opts.items() if not isinstance(v, str))
        if bad:
            found.append(
                "docker_daemon_options: log-opts values must be strings or numbers, "
                f"not lists or mappings: {', '.join(bad)}"
            )
    return found
