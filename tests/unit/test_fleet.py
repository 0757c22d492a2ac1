"""The fleet lookup: the one place that knows the fleet's group names."""

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar
from ansible_collections.pifleet.swarm.plugins.plugin_utils._fleet import fleet

GROUPS = {
    "all": ["pi1", "pi2", "pi3", "pi4"],
    "swarm_managers": ["pi1", "pi2"],
    "swarm_workers": ["pi3", "pi2"],
    "shelf": ["pi4"],
}


@pytest.mark.parametrize(
    ("term", "settings", "wanted"),
    [
        ("managers", {}, ["pi1", "pi2"]),
        ("workers", {}, ["pi3", "pi2"]),
        ("hosts", {}, ["pi1", "pi2", "pi3"]),  # each once, managers first
        ("groups", {}, ["swarm_managers", "swarm_workers"]),
        ("managers", {"swarm_managers_group": "shelf"}, ["pi4"]),
        ("hosts", {"swarm_workers_group": "shelf"}, ["pi1", "pi2", "pi4"]),
        ("groups", {"swarm_workers_group": "shelf"}, ["swarm_managers", "shelf"]),
        ("managers", {"swarm_managers_group": "nowhere"}, []),  # a group the inventory lacks
        ("managers", {"swarm_managers_group": ""}, ["pi1", "pi2"]),  # empty: the default
    ],
)
def test_fleet(term, settings, wanted):
    assert fleet(term, settings, GROUPS) == wanted


@pytest.mark.parametrize(
    ("term", "settings", "message"),
    [
        ("leaders", {}, "unknown term 'leaders'"),
        ("managers", {"swarm_managers_group": ["a"]}, "must be the name of an inventory group"),
    ],
)
def test_fleet_refuses(term, settings, message):
    with pytest.raises(ValueError, match=message):
        fleet(term, settings, GROUPS)


def _lookup(*terms, **variables):
    loader = DataLoader()
    templar = Templar(loader=loader, variables=variables)
    plugin = lookup_loader.get("pifleet.swarm.fleet", loader=loader, templar=templar)
    return plugin.run(list(terms), variables={"groups": GROUPS, **variables})


def test_the_lookup_reads_the_renamed_groups_from_the_variables():
    assert _lookup("hosts", swarm_managers_group="shelf") == ["pi4", "pi3", "pi2"]


def test_the_lookup_takes_one_term_and_says_which_it_knows():
    with pytest.raises(AnsibleLookupError, match="one term"):
        _lookup("managers", "workers")
    with pytest.raises(AnsibleLookupError, match="knows managers, workers, hosts, groups"):
        _lookup("leaders")
