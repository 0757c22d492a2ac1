# Copyright: pifleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipe ``docker save`` on one host into ``docker load`` on this one, through the controller.

Both ends are reached with the options of Ansible's own ssh connection plugin,
resolved for each host as Ansible resolves them (inventory variables,
ansible.cfg, environment, command line, play keywords), so what a user set for
SSH (a port, a user, a key, a ProxyJump in ssh_args) holds for the stream too.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile

from ansible import constants as C
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import connection_loader
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import ssh_argv

# What ssh_argv reads of the ssh plugin's options.
_OPTIONS = (
    "host",
    "port",
    "remote_user",
    "private_key_file",
    "private_key",
    "password",
    "ssh_args",
    "ssh_common_args",
    "ssh_extra_args",
    "ssh_executable",
    "host_key_checking",
    "timeout",
)
# How another host's ssh connection may be named in its variables (smart
# picks ssh on any current OpenSSH).
_SSH = ("ssh", "smart", "ansible.builtin.ssh", "ansible.legacy.ssh")


def is_ssh(connection) -> bool:
    """Whether a loaded connection plugin is Ansible's ssh, whatever name loaded
    it (its load name is a module path when the FQCN did)."""
    return getattr(connection, "ansible_name", None) == "ansible.builtin.ssh"


def _read(connection) -> dict:
    return {name: connection.get_option(name) for name in _OPTIONS}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def _source_options(self, source: str, task_vars: dict) -> dict:
        """The ssh options of another inventory host, resolved as Ansible would."""
        hostvars = task_vars["hostvars"][source]
        connection = hostvars.get("ansible_connection", "ssh")
        if connection not in _SSH:
            raise ValueError(
                f"{source}: streaming images needs an SSH connection, not '{connection}'"
            )
        ssh = connection_loader.get("ssh", self._play_context)
        names = C.config.get_plugin_vars("connection", ssh._load_name)
        ssh.set_options(
            var_options={name: hostvars[name] for name in names if name in hostvars},
            task_keys={"remote_user": self._task.remote_user} if self._task.remote_user else None,
        )
        return _read(ssh)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(
            argument_spec={
                "ref": {"type": "str", "required": True},
                "source": {"type": "str", "required": True},
            }
        )
        if not is_ssh(self._connection):
            return {
                **result,
                "failed": True,
                "msg": "streaming images needs an SSH connection, not "
                f"'{getattr(self._connection, 'ansible_name', self._connection._load_name)}' "
                "(set images_distribution: build)",
            }
        try:
            save = ssh_argv(
                self._source_options(args["source"], task_vars),
                f"docker save {shlex.quote(args['ref'])}",
            )
            load = ssh_argv(_read(self._connection), "docker load -q")
        except ValueError as exc:
            return {**result, "failed": True, "msg": f"{exc} (or set images_distribution: build)"}
        result.update(changed=True, cmd=f"{shlex.join(save)} | {shlex.join(load)}")
        if self._task.check_mode:
            result["msg"] = f"would stream {args['ref']} from {args['source']}"
            return result
        # The sender's stderr goes to a file: a pipe nobody reads until the
        # end could fill and stall a multi-gigabyte stream.
        with tempfile.TemporaryFile() as save_err:
            sender = subprocess.Popen(
                save, stdout=subprocess.PIPE, stderr=save_err, stdin=subprocess.DEVNULL
            )
            receiver = subprocess.run(load, stdin=sender.stdout, capture_output=True, check=False)
            sender.stdout.close()
            sender_rc = sender.wait()
            save_err.seek(0)
            sender_stderr = save_err.read().decode(errors="replace")
        result.update(
            stdout=receiver.stdout.decode(errors="replace").strip(),
            stderr=(sender_stderr + receiver.stderr.decode(errors="replace")).strip(),
            rc=sender_rc or receiver.returncode,
        )
        if sender_rc or receiver.returncode:
            result["failed"] = True
            result["msg"] = (
                f"streaming {args['ref']} from {args['source']} failed: "
                f"docker save exited {sender_rc}, docker load {receiver.returncode}"
            )
        return result
