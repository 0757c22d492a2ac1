"""The preflight's rules: what makes a node refuse to become a Docker/Swarm node."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.filter.node_preflight import (
    FilterModule,
    node_preflight_problems,
)
from ansible_collections.pifleet.swarm.plugins.plugin_utils._preflight import (
    clock_skew,
    preflight_problems,
)

PI4 = {
    "arch": "aarch64",
    "os": "raspios",
    "os_id": "debian",
    "os_codename": "trixie",
    "pi_model": "Raspberry Pi 4 Model B Rev 1.5",
    "disk_free_mb": {"/": 20000, "/var/lib": 20000},
    "clock": 1000.0,
}
SETTINGS = {
    "supported_os": ["raspios", "raspbian", "debian", "ubuntu", "hypriotos"],
    "min_free_disk_mb": 2048,
    "max_clock_skew": 30,
    "clock_before": 999.0,
    "clock_after": 1002.0,
}


def test_a_healthy_pi_passes():
    assert preflight_problems(PI4, SETTINGS) == []


def test_armv6_pi_zero_is_refused_with_what_to_do():
    zero = {**PI4, "arch": "armv6l", "os": "raspbian", "pi_model": "Raspberry Pi Zero W Rev 1.1"}
    (problem,) = preflight_problems(zero, SETTINGS)
    assert "ARMv6" in problem
    assert "Raspberry Pi Zero W Rev 1.1" in problem
    assert "Docker Engine 29" in problem
    assert "Pi 2 or newer" in problem


def test_armv7_32bit_pi_os_is_not_armv6():
    assert preflight_problems({**PI4, "arch": "armv7l", "os": "raspbian"}, SETTINGS) == []


def test_unsupported_os_names_the_variable():
    (problem,) = preflight_problems({**PI4, "os": "fedora", "os_id": "fedora"}, SETTINGS)
    assert "unsupported OS 'fedora'" in problem
    assert "node_supported_os" in problem


def test_os_list_is_the_users():
    settings = {**SETTINGS, "supported_os": ["raspios"]}
    assert preflight_problems({**PI4, "os": "ubuntu"}, settings)
    assert preflight_problems(PI4, settings) == []


def test_too_little_disk_on_each_path():
    facts = {**PI4, "disk_free_mb": {"/": 1000, "/var/lib": 2048, "/gone": None}}
    (problem,) = preflight_problems(facts, SETTINGS)
    assert "only 1000 MB free on /;" in problem
    assert "node_min_free_disk_mb" in problem
    assert preflight_problems(facts, {**SETTINGS, "min_free_disk_mb": 0}) == []


@pytest.mark.parametrize(
    ("node", "before", "after", "skew"),
    [
        (1000.0, 999.0, 1002.0, 0.0),  # read while the controller waited
        (900.0, 999.0, 1002.0, 99.0),  # behind
        (1100.0, 999.0, 1002.0, 98.0),  # ahead
    ],
)
def test_clock_skew_is_measured_outside_the_window(node, before, after, skew):
    assert clock_skew(node, before, after) == skew


def test_skewed_clock_is_refused_in_either_direction():
    (behind,) = preflight_problems({**PI4, "clock": 900.0}, SETTINGS)
    assert "at least 99 s behind" in behind
    assert "node_max_clock_skew" in behind
    (ahead,) = preflight_problems({**PI4, "clock": 1040.0}, SETTINGS)
    assert "at least 38 s ahead of" in ahead


def test_skew_within_the_limit_passes():
    assert preflight_problems({**PI4, "clock": 1031.0}, SETTINGS) == []


def test_no_clock_reading_no_skew_check():
    assert preflight_problems({**PI4, "clock": None}, SETTINGS) == []


def test_every_problem_is_reported_at_once():
    facts = {
        **PI4,
        "arch": "armv6l",
        "os": "gentoo",
        "disk_free_mb": {"/": 10, "/var/lib": 10},
        "clock": 0.0,
    }
    assert len(preflight_problems(facts, SETTINGS)) == 5


def test_filter_plugin_exposes_the_rules():
    assert FilterModule().filters()["node_preflight_problems"] is node_preflight_problems
    assert node_preflight_problems(PI4, SETTINGS) == []
    with pytest.raises(AnsibleFilterError):
        node_preflight_problems("pi4", SETTINGS)
