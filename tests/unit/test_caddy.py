"""Rules of the caddy role: host names, which TLS each name gets (its inputs:
test_inputs.py; when a stack runs whole: test_stack.py)."""

import pytest
from ansible_collections.pifleet.swarm.plugins.plugin_utils._caddy import (
    is_hostname,
    tls_mode,
)


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
