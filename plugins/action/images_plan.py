# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the images role on the controller (the rules: plugin_utils/_images.py)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import plan


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            "recipes",
            "build_dir",
            "recipes_dir",
            "archs",
            "built",
            "refs",
            "registry",
        )
    )
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(
            argument_spec={
                "recipes": {"type": "list", "elements": "dict"},
                "build_dir": {"type": "str"},
                "recipes_dir": {"type": "str"},
                "archs": {"type": "dict"},
                "built": {"type": "list", "elements": "dict"},
                "refs": {"type": "list", "elements": "str"},
                "registry": {"type": "str", "default": ""},
            },
            required_together=[
                ("recipes", "build_dir", "recipes_dir"),
                ("built", "refs"),
            ],
            required_one_of=[("recipes", "archs", "built")],
        )
        try:
            planned = plan(
                args["recipes"],
                args["build_dir"] or "",
                args["recipes_dir"] or "",
                archs=args["archs"],
                built=args["built"],
                refs=args["refs"],
                registry=args["registry"],
            )
        except (KeyError, ValueError) as exc:
            # Results of another shape than the role's own tasks register.
            return {**result, "failed": True, "msg": f"cannot plan the images: {exc!r}"}
        return {**result, **planned, "changed": False}
