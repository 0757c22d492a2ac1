"""Where code lives: module_utils is what Ansible ships to the nodes with a
module, plugin_utils is what runs on the controller. A module_utils file that
no module imports is controller code in the wrong place (it is still packed
into nothing, documented as node code, and checked as if it ran on a node's
Python); a module that imports plugin_utils would fail on the node, where
plugin_utils is never shipped."""

import ast
from pathlib import Path

import pytest
import yaml

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
PREFIX = "ansible_collections.pifleet.swarm.plugins."


def _imports(path: Path) -> set[str]:
    """Dotted names of this collection's plugins that a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            found.add(node.module[len(PREFIX) :])
            found.update(f"{node.module[len(PREFIX) :]}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name[len(PREFIX) :] for a in node.names if a.name.startswith(PREFIX))
    return found


def _shipped() -> set[str]:
    """module_utils reached from a module, directly or through other module_utils."""
    todo = list((PLUGINS / "modules").glob("*.py"))
    seen: set[str] = set()
    while todo:
        for name in _imports(todo.pop()):
            if name.startswith("module_utils.") and name not in seen:
                seen.add(name)
                path = PLUGINS / (name.replace(".", "/") + ".py")
                if path.exists():
                    todo.append(path)
    return {n.split(".")[1] for n in seen}


UTILS = sorted((PLUGINS / "module_utils").glob("_*.py"))


@pytest.mark.parametrize("path", UTILS, ids=lambda p: p.name)
def test_every_module_utils_file_is_shipped_with_a_module(path):
    assert path.stem in _shipped(), (
        f"plugins/module_utils/{path.name} is imported by no module: "
        "controller code belongs in plugins/plugin_utils/"
    )


@pytest.mark.parametrize("path", sorted((PLUGINS / "modules").glob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_controller_code(path):
    controller = sorted(n for n in _imports(path) if n.startswith("plugin_utils"))
    assert not controller, f"{path.name} imports {controller}, which is never shipped to a node"


ROLES = PLUGINS.parent / "roles"


@pytest.mark.parametrize("role", sorted(p.name for p in ROLES.iterdir() if p.is_dir()))
def test_each_role_checks_its_inputs_in_one_place(role):
    """One validate.yml per role calls check_inputs for that role, and no other
    task file of the role does: every rule is reached the same way."""
    calls = {}
    for path in sorted((ROLES / role / "tasks").glob("*.yml")):
        for task in yaml.safe_load(path.read_text()) or []:
            if "pifleet.swarm.check_inputs" in task:
                calls[path.name] = task["pifleet.swarm.check_inputs"]["roles"]
    assert calls == {"validate.yml": role}
