# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a key and a self-signed certificate in the controller's memory; the
result is hidden from output like a no_log task's."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.pifleet.swarm.plugins.plugin_utils._tls import self_signed


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        ("common_name", "subject_alt_name", "ca", "valid_days", "name_constraints", "path_length")
    )
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(
            argument_spec={
                "common_name": {"type": "str", "required": True},
                "subject_alt_name": {"type": "list", "elements": "str", "default": []},
                "ca": {"type": "bool", "default": False},
                "valid_days": {"type": "int", "default": 3650},
                "name_constraints": {"type": "list", "elements": "str", "default": []},
                "path_length": {"type": "int"},
            }
        )
        if not 1 <= len(args["common_name"]) <= 64:
            # X.509's upper bound; cryptography's own message names no option.
            return {
                **result,
                "failed": True,
                "msg": f"common_name must be 1 to 64 characters, got {len(args['common_name'])}",
            }
        if args["valid_days"] < 1:
            return {
                **result,
                "failed": True,
                "msg": f"valid_days must be 1 or more, got {args['valid_days']}",
            }
        if not args["ca"] and (args["name_constraints"] or args["path_length"] is not None):
            return {
                **result,
                "failed": True,
                "msg": "name_constraints and path_length apply to a CA only (ca: true)",
            }
        if args["path_length"] is not None and args["path_length"] < 0:
            return {
                **result,
                "failed": True,
                "msg": f"path_length must be 0 or more, got {args['path_length']}",
            }
        key, certificate = self_signed(
            args["common_name"],
            args["subject_alt_name"],
            ca=args["ca"],
            days=args["valid_days"],
            permitted=args["name_constraints"],
            path_length=args["path_length"],
        )
        # The key is a secret whatever the task says: never printed, never in a callback's output.
        return {
            **result,
            # Nothing outside this run's memory changed.
            "changed": False,
            "privatekey": key,
            "certificate": certificate,
            "_ansible_no_log": True,
        }
