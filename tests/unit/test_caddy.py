"""Rules of the caddy role: valid sites, and which TLS each name gets."""

import pytest
from ansible_collections.pifleet.swarm.plugins.module_utils._caddy import (
    is_hostname,
    site_problems,
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


def test_good_sites():
    sites = [
        {"name": "blog.example.org", "src": "/srv/blog", "php": True, "aliases": ["www.e.org"]},
        {"name": "pi.lan", "reverse_proxy": "whoami:80"},
        {"name": "10.0.0.5", "src": "site"},
    ]
    assert site_problems(sites, "pifleet/php-fpm:8") == []


@pytest.mark.parametrize(
    ("sites", "php_image", "expected"),
    [
        ([], "x", "non-empty list"),
        ("pi.lan", "x", "non-empty list"),
        ([{"name": "not a host", "src": "a"}], "x", "is not a host name or IP"),
        ([{"name": "a.lan", "src": "a"}, {"name": "A.lan", "src": "b"}], "x", "already served"),
        ([{"name": "a.lan", "src": "a", "aliases": ["b.lan", "a.lan"]}], "x", "already served"),
        ([{"name": "a.lan", "src": "a", "php": True}], "", "caddy_php_image is empty"),
        ([{"name": "a.lan"}], "x", "give src"),
        ([{"name": "a.lan", "reverse_proxy": "x:80", "src": "a"}], "x", "serves no files"),
        ([{"name": "a.lan", "reverse_proxy": "http://x y"}], "x", "must be an upstream"),
        ([{"name": "a.lan", "src": "a", "tls": "off"}], "x", "tls must be"),
        ([{"name": "a.lan", "src": "a", "php": "yes"}], "x", "php must be true or false"),
        ([{"name": "a.lan", "src": "a", "root": "/x"}], "x", "unknown keys root"),
        ([{"name": "a.lan", "src": "a", "aliases": "b.lan"}], "x", "aliases must be a list"),
    ],
)
def test_bad_sites_are_named(sites, php_image, expected):
    problems = site_problems(sites, php_image)
    assert any(expected in p for p in problems), problems
