"""A node without the Docker SDK: each module that talks to an engine fails
with the one message that names the package to install, before it does anything."""

import importlib
import json
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

SDK = "ansible_collections.pifleet.swarm.plugins.module_utils._docker_sdk"
MODULES = {
    "arm_image": {"name": "pifleet/web", "path": "/nonexistent"},
    "stack_status": {"name": "web"},
}


@pytest.fixture
def without_sdk(monkeypatch):
    """The SDK module and the modules that import it, reloaded as if `import docker` failed."""
    names = [SDK] + [f"ansible_collections.pifleet.swarm.plugins.modules.{m}" for m in MODULES]
    monkeypatch.setitem(sys.modules, "docker", None)
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield {
        m: importlib.import_module(f"ansible_collections.pifleet.swarm.plugins.modules.{m}")
        for m in MODULES
    }
    for name in names:
        sys.modules.pop(name, None)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_missing_sdk_names_the_package(capsys, without_sdk, name):
    with patch_module_args(MODULES[name]), pytest.raises(SystemExit):
        without_sdk[name].main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert "docker (the Docker SDK for Python)" in result["msg"]
    assert "apt install python3-docker" in result["msg"]


def test_with_the_sdk_nothing_is_required():
    sdk = importlib.import_module(SDK)
    assert sdk.IMPORT_ERROR is None
    sdk.require(object())  # would call fail_json on it, which an object() lacks
