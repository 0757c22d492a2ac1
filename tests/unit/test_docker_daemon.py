"""daemon.json merging and the checks that refuse what dockerd would refuse."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.filter.docker_daemon import (
    FilterModule,
    docker_daemon_config,
)
from ansible_collections.pifleet.swarm.plugins.plugin_utils._docker_daemon import (
    merge,
    problems,
)

DEFAULTS = {"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}


def test_options_merge_recursively_over_defaults():
    merged = merge(DEFAULTS, {"log-opts": {"max-size": "5m"}, "data-root": "/srv/docker"})
    assert merged == {
        "log-driver": "json-file",
        "log-opts": {"max-size": "5m", "max-file": "3"},
        "data-root": "/srv/docker",
    }


def test_defaults_are_not_mutated():
    merge(DEFAULTS, {"log-opts": {"max-size": "1m"}})
    assert DEFAULTS["log-opts"]["max-size"] == "10m"


def test_null_removes_a_default():
    assert merge(DEFAULTS, {"log-opts": {"max-file": None}})["log-opts"] == {"max-size": "10m"}
    assert "log-opts" not in merge(DEFAULTS, {"log-opts": None})


def test_another_log_driver_drops_the_default_log_opts():
    # journald knows neither max-size nor max-file: dockerd would not start.
    assert merge(DEFAULTS, {"log-driver": "journald"}) == {"log-driver": "journald"}
    kept = merge(DEFAULTS, {"log-driver": "local", "log-opts": {"max-size": "20m"}})
    assert kept["log-opts"] == {"max-size": "20m", "max-file": "3"}


def test_log_opts_numbers_become_strings():
    merged = merge(DEFAULTS, {"log-opts": {"max-file": 5, "compress": True}})
    assert merged["log-opts"] == {"max-size": "10m", "max-file": "5", "compress": "true"}


def test_lists_replace_not_append():
    assert merge({"dns": ["1.1.1.1"]}, {"dns": ["9.9.9.9"]}) == {"dns": ["9.9.9.9"]}


def test_live_restore_refused_on_swarm_nodes_only():
    config = merge(DEFAULTS, {"live-restore": True})
    assert problems(config, swarm_member=False) == []
    found = problems(config, swarm_member=True)
    assert len(found) == 1
    assert "live-restore" in found[0]
    assert "docker_daemon_options" in found[0]
    assert problems(merge(DEFAULTS, {"live-restore": False}), swarm_member=True) == []


def test_live_restore_must_be_a_boolean():
    assert "true or false" in problems({"live-restore": "yes"}, swarm_member=False)[0]


def test_log_opts_shape():
    assert problems({"log-opts": ["max-size=1m"]}, swarm_member=False)
    assert problems({"log-opts": {"labels": ["a"]}}, swarm_member=False)
    assert problems(DEFAULTS, swarm_member=True) == []


def test_filter_refuses_non_mappings_naming_the_variable():
    with pytest.raises(AnsibleFilterError, match="docker_daemon_options"):
        docker_daemon_config(DEFAULTS, ["live-restore"])
    assert set(FilterModule().filters()) == {"docker_daemon_config"}
