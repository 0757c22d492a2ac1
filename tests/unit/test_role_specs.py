"""Every role's defaults and meta/argument_specs.yml say the same thing.

A default nobody validates, or a spec default that differs from the role's
defaults/main.yml, is how a role silently drifts from what it documents.
"""

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p for p in (Path(__file__).resolve().parents[2] / "roles").iterdir() if p.is_dir())


def _load(path: Path) -> dict:
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_and_specs_agree(role):
    defaults = _load(role / "defaults" / "main.yml")
    spec = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(k for k, v in spec.items() if "default" in v), (
        "variables with a default must be the same in defaults/main.yml and argument_specs"
    )
    for name, value in defaults.items():
        assert spec[name]["default"] == value, f"{role.name}: {name} default differs"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_public_variables_carry_the_role_prefix(role):
    spec = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = _load(role / "defaults" / "main.yml")
    for name in [*spec, *defaults]:
        assert name.startswith(f"{role.name}_"), f"{name} lacks the prefix {role.name}_"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_option_is_described(role):
    spec = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    for name, option in spec.items():
        assert option.get("description"), f"{role.name}: {name} has no description"
        assert option.get("type"), f"{role.name}: {name} has no type"


def test_example_group_vars_list_every_role_variable():
    example = (ROLES[0].parents[1] / "inventory.example" / "group_vars" / "all.yml").read_text()
    for role in ROLES:
        for name in _load(role / "defaults" / "main.yml"):
            assert f"# {name}:" in example, f"inventory.example/group_vars/all.yml lacks {name}"
