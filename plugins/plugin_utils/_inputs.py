# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every role's inputs are judged: its argument spec, then the rules a spec
cannot say (ranges, patterns, one field against another, the inventory).

The pifleet.swarm.check_inputs action calls check() for each role it is asked
about. The spec is the role's own meta/argument_specs.yml, so each key's type,
choices and suboptions are declared once, where ansible-doc shows them; the
rules live in the role's module under plugin_utils (RULES below) and see only
values the spec has accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.pifleet.swarm.plugins.plugin_utils import (
    _caddy,
    _docker_daemon,
    _images,
    _preflight,
    _swarm,
)

# The collection's roles, in the order site.yml runs them.
ROLES = ("node", "docker", "swarm", "images", "caddy")
RULES: dict[str, Callable[[Mapping[str, Any], Context], list[str]]] = {
    "node": _preflight.input_problems,
    "docker": _docker_daemon.input_problems,
    "swarm": _swarm.input_problems,
    "images": _images.input_problems,
    "caddy": _caddy.input_problems,
}
# The collection's root (ansible_collections/pifleet/swarm).
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Context:
    """What a role's rules may know beyond its own variables."""

    host: str = ""  # the inventory host the values are for
    managers: tuple[str, ...] = ()  # the fleet, from the pifleet.swarm.fleet lookup
    workers: tuple[str, ...] = ()
    groups: tuple[str, str] = ("swarm_managers", "swarm_workers")
    inventory: frozenset[str] = frozenset()  # every host of the inventory
    # (host, variable) -> that host's value, None when it does not set it.
    host_var: Callable[[str, str], Any] = field(default=lambda host, name: None)
    # This host's variables outside the role (another role's facts).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Where the playbook is: files a role copies from the controller are found
    # beside it ("" when unknown: such files are not looked for).
    playbook_dir: str = ""


def role_file(role: str, *parts: str, root: Path = ROOT) -> dict:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: the collection's roles are {', '.join(ROLES)}")
    path = root.joinpath("roles", role, *parts)
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def role_spec(role: str, root: Path = ROOT) -> dict[str, dict]:
    """The options of a role's main entry point, as meta/argument_specs.yml has them."""
    return role_file(role, "meta", "argument_specs.yml", root=root)["argument_specs"]["main"][
        "options"
    ]


def _typed_as_text(spec: Mapping[str, dict], values: Mapping[str, Any]) -> list[str]:
    """Lists and mappings given as a string. The spec would split 'a,b' into a
    list, but a role reads the variable itself, not the spec's result: the
    string would reach its loops."""
    out = []
    for name, option in spec.items():
        kind = option.get("type")
        if kind in ("list", "dict") and isinstance(values.get(name), str):
            what = "a list" if kind == "list" else "a mapping"
            out.append(
                f"{name} must be {what} (YAML or JSON), not the string {values[name]!r}; "
                f"on the command line: -e '{{\"{name}\": ...}}'"
            )
    return out


def _fresh(value: Any) -> Any:
    """A copy with no object shared. The validator fills in, in place, the
    suboptions an item lacks (src: None), which would then make the next item
    that is the same object (a YAML alias, deepcopy's memo) look like it set
    both recipe and src."""
    if isinstance(value, Mapping):
        return {key: _fresh(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fresh(item) for item in value]
    return value


def check(
    role: str,
    values: Mapping[str, Any],
    context: Context,
    *,
    spec: Mapping[str, dict] | None = None,
) -> list[str]:
    """Every reason this role cannot run with these values; the spec's defaults
    (the role's, a unit test keeps them equal) fill in what is not given. Empty
    when it can."""
    spec = role_spec(role) if spec is None else spec
    given = {name: _fresh(values[name]) for name in spec if name in values}
    problems = _typed_as_text(spec, given)
    result = ArgumentSpecValidator(dict(spec)).validate(given)
    problems += [str(message) for message in result.error_messages]
    if problems:
        # The rules read values of the declared shapes only.
        return problems
    return RULES[role](result.validated_parameters, context)
