"""Streaming an image over SSH: the command line from a host's resolved ssh
options (plugin_utils/_images.py), and those options resolved for another host
by the image_stream action with Ansible's own ssh plugin and configuration."""

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible_collections.pifleet.swarm.plugins.action.image_stream import ActionModule, is_ssh
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import ssh_argv

OPTIONS = {
    "host": "10.0.0.5",
    "port": 2222,
    "remote_user": "pi",
    "private_key_file": "/keys/lab key",
    "ssh_args": "-C -o ControlMaster=auto -o ProxyJump=gw",
    "ssh_common_args": "-o Port=9 -o ServerAliveInterval=15",
    "ssh_extra_args": "",
    "ssh_executable": "ssh",
    "host_key_checking": False,
    "timeout": 10,
}


def test_argv_in_ansibles_order_so_the_same_option_wins():
    assert ssh_argv(OPTIONS, "docker save x:1") == [
        "ssh", "-C", "-o", "ControlMaster=auto", "-o", "ProxyJump=gw",
        "-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes",
        "-o", "Port=2222", "-o", "IdentityFile=/keys/lab key", "-o", "User=pi",
        "-o", "ConnectTimeout=10",
        "-o", "Port=9", "-o", "ServerAliveInterval=15",
        "--", "10.0.0.5", "sudo -n docker save x:1",
    ]  # fmt: skip


def test_root_runs_docker_without_sudo_and_defaults_stay_out():
    argv = ssh_argv(
        {"host": "pi1", "remote_user": "root", "host_key_checking": True}, "docker load -q"
    )
    assert argv == ["ssh", "-o", "BatchMode=yes", "-o", "User=root", "--", "pi1", "docker load -q"]


@pytest.mark.parametrize("secret", ["password", "private_key"])
def test_a_password_or_key_text_is_refused_not_used(secret):
    with pytest.raises(ValueError, match="cannot take a password"):
        ssh_argv({"host": "pi1", secret: "s3cret"}, "docker load -q")


def _action(remote_user=None):
    task = Task()
    task.remote_user = remote_user
    return ActionModule(task, None, PlayContext(), None, None, None)


def _resolved(hostvars, remote_user=None):
    return _action(remote_user)._source_options(
        "pi1", {"hostvars": {"pi1": {"inventory_hostname": "pi1", **hostvars}}}
    )


def test_another_hosts_user_and_ssh_args_come_from_ansible_cfg(monkeypatch):
    # What a user sets in ansible.cfg ([defaults] remote_user, [ssh_connection]
    # ssh_args) or the environment reaches the stream as it reaches Ansible.
    monkeypatch.setenv("ANSIBLE_REMOTE_USER", "pi")
    monkeypatch.setenv("ANSIBLE_SSH_ARGS", "-o ProxyJump=bastion")
    options = _resolved({"ansible_host": "192.168.1.11"})
    assert (options["host"], options["remote_user"], options["ssh_args"]) == (
        "192.168.1.11",
        "pi",
        "-o ProxyJump=bastion",
    )


def test_inventory_wins_over_the_play_keyword_and_that_over_config(monkeypatch):
    monkeypatch.setenv("ANSIBLE_REMOTE_USER", "from-config")
    assert _resolved({}, remote_user="from-play")["remote_user"] == "from-play"
    options = _resolved(
        {"ansible_user": "from-inventory", "ansible_port": 2222}, remote_user="from-play"
    )
    assert (options["remote_user"], options["port"]) == ("from-inventory", 2222)


@pytest.mark.parametrize("name", ["ssh", "smart", "ansible.builtin.ssh"])
def test_any_name_of_the_ssh_connection_is_taken(name):
    assert _resolved({"ansible_connection": name, "ansible_host": "10.0.0.7"})["host"] == "10.0.0.7"


@pytest.mark.parametrize(
    ("name", "ssh"),
    [("ssh", True), ("ansible.builtin.ssh", True), ("ansible.legacy.ssh", True), ("local", False)],
)
def test_this_hosts_connection_is_known_as_ssh_by_any_name(name, ssh):
    # Loaded by its FQCN, the plugin's load name is a module path (ansible-core
    # 2.21 in the default scenario): only its canonical name tells.
    assert is_ssh(connection_loader.get(name, PlayContext())) is ssh


def test_a_host_without_ssh_is_refused():
    with pytest.raises(ValueError, match="needs an SSH connection, not 'local'"):
        _resolved({"ansible_connection": "local"})
