"""Which directories a role may own on a node, and image references (issue 18:
caddy_sites_dir: / mounted every node's root into Caddy; images_build_dir:
/var/lib with a recipe named docker emptied Docker's own state)."""

import pytest
from ansible_collections.pifleet.swarm.plugins.plugin_utils._images import is_image_ref
from ansible_collections.pifleet.swarm.plugins.plugin_utils._paths import dir_problem


@pytest.mark.parametrize(
    "path", ["/srv/pifleet/sites", "/var/lib/pifleet/recipes", "/home/pi/sites", "/data/web"]
)
def test_a_directory_of_its_own_is_accepted(path):
    assert dir_problem("d", path) == ""


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/", "at least two levels"),
        ("/srv", "at least two levels"),
        ("srv/sites", "absolute path"),
        ("/srv/my sites", "absolute path without blanks"),
        ("/srv/x/../../etc", "plain path"),
        ("/srv/sites/", "plain path"),
        ("/srv//sites", "plain path"),
        ("/var/lib", "is a parent of /var/lib/containerd"),
        ("/var/lib/docker/volumes", "is in /var/lib/docker"),
        ("/etc/pifleet", "is in /etc"),
        ("/boot/firmware", "is in /boot"),
        ("/usr/local/sites", "is in /usr"),
    ],
)
def test_system_directories_and_odd_paths_are_refused(path, fragment):
    assert fragment in dir_problem("caddy_sites_dir", path)


@pytest.mark.parametrize(
    "ref",
    [
        "pifleet/caddy:2",
        "caddy",
        "registry.lan:5000/pifleet/caddy:2-abc",
        "php:8.2-fpm@sha256:" + "a" * 64,
        "localhost:5000/x",
    ],
)
def test_image_references(ref):
    assert is_image_ref(ref)


@pytest.mark.parametrize(
    "ref", ["--privileged", "-v/:/host", "Caddy:2", "caddy:2\n", "a b", "x@sha256:zz", ""]
)
def test_not_image_references(ref):
    assert not is_image_ref(ref)
