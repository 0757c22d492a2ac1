# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make a key and a self-signed certificate in the controller's memory (or
derive a client's from a seed); the result is hidden from output like a
no_log task's."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.pifleet.swarm.plugins.plugin_utils._tls import (
    client_identity,
    self_signed,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            "common_name",
            "subject_alt_name",
            "ca",
            "valid_days",
            "name_constraints",
            "path_length",
            "client_seed",
        )
    )
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(
            argument_spec={
                "common_name": {"type": "str", "required": True},
                "subject_alt_name": {"type": "list", "elements": "str", "default": []},
                "ca": {"type": "bool", "default": False},
                "valid_days": {"type": "int"},
                "name_constraints": {"type": "list", "elements": "str", "default": []},
                "path_length": {"type": "int"},
                "client_seed": {"type": "str", "no_log": True},
            }
        )
        problem = _problem(args)
        if problem:
            return {**result, "failed": True, "msg": problem}
        if args["client_seed"] is not None:
            key, certificate = client_identity(args["client_seed"], args["common_name"])
        else:
            key, certificate = self_signed(
                args["common_name"],
                args["subject_alt_name"],
                ca=args["ca"],
                days=3650 if args["valid_days"] is None else args["valid_days"],
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


# What only a client identity's seed may not come with: it would change the
# identity from run to run.
_NOT_WITH_SEED = ("subject_alt_name", "ca", "valid_days", "name_constraints", "path_length")


def _problem(args) -> str | None:
    """Why these arguments make no certificate, or None."""
    if args["client_seed"] is not None:
        others = [name for name in _NOT_WITH_SEED if args[name] not in (None, False, [])]
        problems = [
            (
                bool(others or not args["client_seed"]),
                "client_seed takes a non-empty seed and common_name only"
                + (f", not {', '.join(others)}" if others else ""),
            )
        ]
    else:
        days, path_length = args["valid_days"], args["path_length"]
        problems = [
            (days is not None and days < 1, f"valid_days must be 1 or more, got {days}"),
            (
                not args["ca"] and bool(args["name_constraints"] or path_length is not None),
                "name_constraints and path_length apply to a CA only (ca: true)",
            ),
            (
                path_length is not None and path_length < 0,
                f"path_length must be 0 or more, got {path_length}",
            ),
        ]
    # X.509's upper bound first; cryptography's own message names no option.
    size = len(args["common_name"])
    problems.insert(0, (not 1 <= size <= 64, f"common_name must be 1 to 64 characters, got {size}"))
    return next((message for wrong, message in problems if wrong), None)
