# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy a controller directory to a node: plan on the controller from one
listing of the node, send what changed as one archive, apply on the node
(the rules: module_utils/_shipped.py; the node's side: modules/copy_tree.py)."""

from __future__ import annotations

import os
import re
import tarfile
import tempfile

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.pifleet.swarm.plugins.module_utils._shipped import (
    COPY_TREE_OPTIONS,
    PRESERVE,
    local_tree,
    tree_plan,
)

MODULE = "pifleet.swarm.copy_tree"
_MODE = r"0?[0-7]{3,4}"


class ActionModule(ActionBase):
    # The node gets a file only when something changed: no temporary
    # directory is made up front.
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(COPY_TREE_OPTIONS)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=COPY_TREE_OPTIONS)
        try:
            local, module_args = self._source(args)
            listed = self._module({**args, **module_args}, task_vars)
            attrs = {k: args[k] for k in ("mode", "directory_mode", "owner", "group")}
            dest = module_args["dest"]
            try:
                plan = tree_plan(local, listed["held"], listed["manifest"], dest, attrs)
            except ValueError as exc:
                raise _Refused(str(exc)) from exc
            if plan["problems"]:
                raise _Refused("; ".join(plan["problems"]))
            result.update(self._report(local, listed, plan, dest))
            if plan["changed"] and not self._task.check_mode:
                archive = self._send(local, plan["send"]) if plan["send"] else None
                self._module({**args, **module_args, "_plan": plan, "_archive": archive}, task_vars)
        except _Refused as exc:
            return {**result, "failed": True, "msg": exc.msg, **exc.result}
        return result

    def _source(self, args: dict) -> tuple[dict, dict]:
        """What src ships, and the module's arguments; refused before any node is touched."""
        if args["mode"] != PRESERVE and not re.fullmatch(_MODE, args["mode"]):
            raise _Refused(
                f"mode must be an octal mode like 0644 or preserve, got {args['mode']!r}"
            )
        if not re.fullmatch(_MODE, args["directory_mode"]):
            raise _Refused(
                f"directory_mode must be an octal mode like 0755, got {args['directory_mode']!r}"
            )
        dest = args["dest"].rstrip("/")
        if not dest.startswith("/"):
            raise _Refused(f"dest must be an absolute path, got {args['dest']!r}")
        try:
            source = self._find_needle("files", args["src"])
        except AnsibleError as exc:
            raise _Refused(f"cannot find {args['src']}: {exc.message}") from exc
        if not os.path.isdir(source):
            raise _Refused(f"{args['src']} ({source}) is not a directory")
        local = local_tree(source, dotfiles=args["dotfiles"])
        if local["problems"]:
            raise _Refused(
                f"will not copy {source}: "
                + "; ".join(local["problems"])
                + ". Only files inside it travel (replace the link by the file, or remove it)."
            )
        return local, {"dest": dest}

    def _module(self, module_args: dict, task_vars) -> dict:
        out = self._execute_module(MODULE, module_args=module_args, task_vars=task_vars)
        if out.get("failed"):
            raise _Refused(out.get("msg", "the copy_tree module failed"), out)
        return out

    def _report(self, local: dict, listed: dict, plan: dict, dest: str) -> dict:
        out = {
            "changed": plan["changed"],
            "copied": plan["send"],
            "removed": [f"{dest}/{rel}" for rel in plan["remove"]],
            "left_out": local["left_out"],
            "foreign": [f"{dest}/{rel}" for rel in plan["foreign"]],
        }
        if plan["foreign"]:
            out["warnings"] = [
                f"{', '.join(out['foreign'])}: on the node but not placed by "
                f"{MODULE} (an earlier copy by other means?); left as is, remove "
                "it unless it is yours"
            ]
        if self._task.diff and plan["changed"]:
            lines = [f"{'~' if rel in listed['held'] else '+'} {rel}" for rel in plan["send"]]
            out["diff"] = {"prepared": "\n".join(lines + [f"- {r}" for r in plan["remove"]])}
        return out

    def _send(self, local: dict, send: list[str]) -> str:
        """The files to send as one archive in the node's temporary directory."""
        if self._connection._shell.tmpdir is None:
            self._make_tmp_path()
        remote = self._connection._shell.join_path(self._connection._shell.tmpdir, "tree.tar")
        with tempfile.TemporaryDirectory(prefix="pifleet-tree-") as here:
            archive = os.path.join(here, "tree.tar")
            with tarfile.open(archive, "w") as tar:
                for rel in send:
                    # The file a link inside src points to (local_tree checked it).
                    tar.add(os.path.realpath(local["files"][rel]["path"]), arcname=rel)
            self._transfer_file(archive, remote)
        self._fixup_perms2((self._connection._shell.tmpdir, remote))
        return remote


class _Refused(Exception):
    """Ends the task as failed, with msg (and what a failed module returned)."""

    def __init__(self, msg: str, result: dict | None = None):
        super().__init__(msg)
        self.msg, self.result = msg, result or {}
