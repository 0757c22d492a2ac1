# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who is in the fleet: the one place that knows the default group names.

Every role and playbook of the collection asks the pifleet.swarm.fleet lookup,
which calls this, so renaming the groups (swarm_managers_group,
swarm_workers_group, set anywhere a variable can be) moves them all at once.
"""

from __future__ import annotations

from collections.abc import Mapping

GROUP_VARIABLES = {"managers": "swarm_managers_group", "workers": "swarm_workers_group"}
DEFAULT_GROUPS = {"managers": "swarm_managers", "workers": "swarm_workers"}
TERMS = ("managers", "workers", "hosts", "groups")


def group_names(settings: Mapping) -> dict[str, str]:
    """{'managers': name, 'workers': name} from the variables that rename them."""
    out = {}
    for kind, variable in GROUP_VARIABLES.items():
        name = settings.get(variable) or DEFAULT_GROUPS[kind]
        if not isinstance(name, str):
            raise ValueError(f"{variable} must be the name of an inventory group, got {name!r}")
        out[kind] = name
    return out


def fleet(term: str, settings: Mapping, groups: Mapping) -> list[str]:
    """The hosts (or the group names) a term asks for, in inventory order.

    A group that the inventory lacks has no hosts; `hosts` is the managers
    then the workers, each once.
    """
    if term not in TERMS:
        raise ValueError(f"unknown term {term!r}: the fleet lookup knows {', '.join(TERMS)}")
    names = group_names(settings)
    if term == "groups":
        return [names["managers"], names["workers"]]
    if term in names:
        return list(groups.get(names[term]) or [])
    hosts = fleet("managers", settings, groups) + fleet("workers", settings, groups)
    return list(dict.fromkeys(hosts))
