"""Rules of the caddy role: host names, which TLS each name gets (its inputs:
test_inputs.py; when a stack runs whole: test_stack.py)."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.filter.caddy import FilterModule
from ansible_collections.pifleet.swarm.plugins.plugin_utils._caddy import (
    ca_outside,
    ca_permitted,
    internal_names,
    is_hostname,
    networks_left,
    tls_mode,
)
from ansible_collections.pifleet.swarm.plugins.plugin_utils._tls import self_signed


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("blog.example.org", "acme"),
        ("pi.lan", "internal"),
        ("nas.local", "internal"),
        ("printer.home.arpa", "internal"),
        ("192.168.1.10", "internal"),
        ("::1", "internal"),
        ("localhost", "internal"),
        ("pi", "internal"),
        ("Example.COM.", "acme"),
    ],
)
def test_tls_mode_by_name(name, mode):
    assert tls_mode(name) == mode


def test_tls_mode_forced():
    assert tls_mode("pi.lan", "acme") == "acme"
    assert tls_mode("example.org", "internal") == "internal"


@pytest.mark.parametrize("name", ["a.b", "xn--bcher-kva.example", "*.pi.lan", "a-b.c"])
def test_hostnames(name):
    assert is_hostname(name)


@pytest.mark.parametrize("name", ["", "-a.b", "a..b", "a_b.c", "x" * 64 + ".lan", "a b"])
def test_not_hostnames(name):
    assert not is_hostname(name)


def network(name, net_id):
    return {"Name": name, "Id": net_id, "Labels": {"com.docker.stack.namespace": "web"}}


def service(name, now, before=None):
    """A service object as the API returns it: `now` and `before` are the
    network targets of its spec and of its previous spec."""

    def spec(targets):
        return {"Name": name, "TaskTemplate": {"Networks": [{"Target": t} for t in targets]}}

    out = {"ID": name, "Spec": spec(now)}
    if before is not None:
        out["PreviousSpec"] = spec(before)
    return out


OLD = network("web_backend", "aaa111")
NEW = network("web_backend_internal", "bbb222")
EDGE = network("web_edge", "ccc333")


def test_a_network_no_service_names_is_left():
    services = [service("web_caddy", ["bbb222", "ccc333"]), service("web_php", ["bbb222"])]
    assert networks_left([OLD, NEW, EDGE], services) == ["web_backend"]


def test_a_rollback_keeps_the_network_it_returns_to():
    """Right after the switch, a failed update or `docker service rollback`
    returns php to the old network: it stays until the next change."""
    services = [service("web_php", ["bbb222"], before=["aaa111"])]
    assert networks_left([OLD, NEW], services) == []


def test_a_target_by_name_counts_and_nothing_is_left_in_use():
    assert networks_left([OLD], [service("web_php", ["web_backend"])]) == []
    assert networks_left([], []) == []
    assert networks_left([OLD, EDGE], []) == ["web_backend", "web_edge"]


def test_the_filter_wants_both_lists():
    left = FilterModule().filters()["caddy_networks_left"]
    assert left([OLD], [service("web_php", ["bbb222"])]) == ["web_backend"]
    with pytest.raises(AnsibleFilterError, match="docker_swarm_info's"):
        left([OLD], {"services": []})


SITES = [
    {"name": "demo.pifleet.lan", "aliases": ["www.pifleet.lan"]},
    {"name": "blog.example.org"},
    {"name": "nas", "tls": "auto"},
    {"name": "203.0.113.7"},
    {"name": "intranet.example.com", "tls": "internal"},
]


def test_internal_names_are_those_tls_internal_gives():
    assert internal_names(SITES) == [
        "demo.pifleet.lan",
        "www.pifleet.lan",
        "nas",
        "203.0.113.7",
        "intranet.example.com",
    ]


def test_a_new_ca_may_certify_the_lan_and_its_own_sites_only():
    permitted = ca_permitted(SITES)
    assert permitted[:6] == ["lan", "local", "home.arpa", "internal", "localhost", "test"]
    assert "192.168.0.0/16" in permitted and "fc00::/7" in permitted
    assert permitted[-3:] == ["203.0.113.7", "intranet.example.com", "nas"]
    assert "blog.example.org" not in permitted and "demo.pifleet.lan" not in permitted


def test_a_site_outside_the_cas_names_is_named():
    _, root = self_signed("r", [], ca=True, days=1, permitted=ca_permitted(SITES[:1]))
    assert ca_outside(root, SITES[:1]) == []
    assert ca_outside(root, SITES) == ["nas", "203.0.113.7", "intranet.example.com"]
    unconstrained = self_signed("r", [], ca=True, days=1)[1]
    assert ca_outside(unconstrained, SITES) is None
