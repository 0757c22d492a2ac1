# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judge roles' inputs on the controller: each role's argument spec, then its
rules (plugin_utils/_inputs.py), with every message at once and no host
contacted."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.pifleet.swarm.plugins.plugin_utils._fleet import (
    GROUP_VARIABLES,
    fleet,
)
from ansible_collections.pifleet.swarm.plugins.plugin_utils._inputs import (
    ROLES,
    Context,
    check,
    role_spec,
)

# Variables of this host that a role's rules read beyond the role's own.
_EXTRA = ("swarm_manager_host",)
# Roles whose inputs may differ from host to host; the others' are the fleet's.
PER_HOST = ("node", "docker")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("roles", "hosts"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        _, args = self.validate_argument_spec(
            argument_spec={
                "roles": {"type": "list", "elements": "str", "required": True, "choices": ROLES},
                "hosts": {"type": "list", "elements": "str"},
            }
        )
        hosts = args["hosts"] or [task_vars.get("inventory_hostname", "")]
        unknown = [host for host in hosts if host not in task_vars.get("hostvars", {})]
        if unknown:
            return {**result, "failed": True, "msg": f"hosts not in the inventory: {unknown}"}
        problems = {}
        for role in dict.fromkeys(args["roles"]):
            # A message every judged host shares is said once, naming them all.
            by_message: dict[str, list[str]] = {}
            for host in hosts if role in PER_HOST else hosts[:1]:
                for message in self._judge(role, host, task_vars):
                    by_message.setdefault(message, []).append(host)
            if by_message:
                problems[role] = [
                    f"{', '.join(names)}: {message}"
                    if len(hosts) > 1 and role in PER_HOST
                    else message
                    for message, names in by_message.items()
                ]
        result.update(changed=False, problems=problems)
        if problems:
            result.update(
                failed=True,
                msg="; ".join(message for found in problems.values() for message in found),
            )
        else:
            result["msg"] = f"the inputs of {', '.join(args['roles'])} are fine"
        return result

    def _judge(self, role: str, host: str, task_vars: dict) -> list[str]:
        """One role's problems with the variables of one host."""
        template = self._templar.template
        own = task_vars if host == task_vars.get("inventory_hostname") else None
        if own is None:
            own = task_vars["hostvars"][host]
        values = {name: template(own[name]) for name in role_spec(role) if name in own}
        return check(role, values, self._context(host, own, task_vars))

    def _context(self, host: str, own, task_vars: dict) -> Context:
        template = self._templar.template
        settings = {
            name: template(task_vars[name])
            for name in GROUP_VARIABLES.values()
            if name in task_vars
        }
        groups = task_vars.get("groups") or {}
        hostvars = task_vars.get("hostvars") or {}

        def host_var(other: str, name: str):
            values = hostvars.get(other) or {}
            return template(values[name]) if name in values else None

        return Context(
            host=host,
            managers=tuple(fleet("managers", settings, groups)),
            workers=tuple(fleet("workers", settings, groups)),
            groups=tuple(fleet("groups", settings, groups)),
            inventory=frozenset(groups.get("all") or ()),
            host_var=host_var,
            extra={name: template(own[name]) for name in _EXTRA if name in own},
            playbook_dir=str(task_vars.get("playbook_dir") or ""),
        )
