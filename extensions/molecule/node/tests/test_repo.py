"""Docker's apt repository part of the docker role (tasks_from: repository) on
the ARM node, where no engine runs under qemu-user: 32-bit Pi OS is pinned to
Engine 28 (Docker ships no armhf 29; the docker scenario's amd64 node is not)."""

from repo_checks import (  # noqa: F401 (pytest collects what is imported)
    expected,
    test_apt_candidate,
    test_apt_get_update_only_when_needed,
    test_armhf_is_pinned_to_28_others_not,
    test_deb822_source_for_the_node,
)

EXPECTED = {
    "pi3": ("raspbian", "bookworm", "armhf", "28.5.2"),
}
HOSTS = set(EXPECTED)
