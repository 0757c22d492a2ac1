"""Editing the single line of cmdline.txt: nothing but the asked-for parameters moves."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.pifleet.swarm.plugins.filter.cmdline import cmdline_edit
from ansible_collections.pifleet.swarm.plugins.module_utils._cmdline import (
    CmdlineError,
    cmdline_diff,
    edit_cmdline,
    param_key,
    param_problems,
)

# Raspberry Pi OS Lite (trixie) as flashed by the Imager.
PIOS = (
    "console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 "
    "fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n"
)
WANT = ["cgroup_enable=memory"]
DROP = ["cgroup_disable=memory"]


def test_appends_once_and_keeps_the_rest_and_the_newline():
    after = edit_cmdline(PIOS, WANT, DROP)
    assert after == PIOS[:-1] + " cgroup_enable=memory\n"
    assert after.count("\n") == 1


def test_idempotent():
    once = edit_cmdline(PIOS, [*WANT, "cgroup_memory=1"], DROP)
    assert edit_cmdline(once, [*WANT, "cgroup_memory=1"], DROP) == once
    assert once.count("cgroup_enable=memory") == 1
    assert once.count("cgroup_memory=1") == 1


def test_no_trailing_newline_stays_without_one():
    assert (
        edit_cmdline("root=/dev/sda2 rootwait", WANT)
        == "root=/dev/sda2 rootwait cgroup_enable=memory"
    )
    assert edit_cmdline("root=/dev/sda2\r\n", WANT) == "root=/dev/sda2 cgroup_enable=memory\r\n"


def test_other_value_is_replaced_in_place_and_later_duplicates_dropped():
    text = "console=tty1 cgroup_memory=0 root=/dev/mmcblk0p2 cgroup_memory=2 rootwait\n"
    assert (
        edit_cmdline(text, ["cgroup_memory=1"])
        == "console=tty1 cgroup_memory=1 root=/dev/mmcblk0p2 rootwait\n"
    )


def test_exact_duplicate_is_collapsed_to_one():
    assert edit_cmdline("root=a cgroup_enable=memory b cgroup_enable=memory\n", WANT) == (
        "root=a cgroup_enable=memory b\n"
    )


def test_disable_is_removed_wherever_it_stands():
    text = "cgroup_disable=memory console=tty1 cgroup_disable=memory root=/dev/sda2\n"
    assert edit_cmdline(text, WANT, DROP) == "console=tty1 root=/dev/sda2 cgroup_enable=memory\n"


def test_bare_name_in_absent_removes_every_value():
    assert edit_cmdline("quiet splash splash=x root=/r\n", [], ["splash"]) == "quiet root=/r\n"


def test_repeatable_parameters_are_added_beside_other_values():
    text = "console=serial0,115200 cgroup_enable=cpuset root=/r\n"
    assert edit_cmdline(text, [*WANT, "console=tty1"]) == (
        "console=serial0,115200 cgroup_enable=cpuset root=/r cgroup_enable=memory console=tty1\n"
    )


def test_spacing_and_quotes_elsewhere_are_untouched():
    text = '  console=tty1   dyndbg="file drivers/usb/* +p"  cgroup_disable=memory root=/r  \n'
    assert edit_cmdline(text, WANT, DROP) == (
        # the removed parameter takes the blanks before it along
        '  console=tty1   dyndbg="file drivers/usb/* +p" root=/r cgroup_enable=memory  \n'
    )


def test_removing_the_first_parameter_keeps_the_leading_blanks():
    assert edit_cmdline(" cgroup_disable=memory  root=/r\n", [], DROP) == " root=/r\n"


@pytest.mark.parametrize("text", ["", "\n", "console=tty1 rootwait\n", "rootfs=/dev/sda2\n"])
def test_a_line_without_root_is_left_alone(text):
    # Building on it would write a line a Pi cannot boot from.
    with pytest.raises(CmdlineError, match="no root= parameter"):
        edit_cmdline(text, WANT)


@pytest.mark.parametrize(
    "param",
    [
        "root=/dev/sda2",
        "root",
        "rootfstype=btrfs",
        "rootwait",
        "init=/bin/sh",
        "systemd.unit=rescue.target",
        "single",
        "ip=10.0.0.9",
    ],
)
def test_boot_critical_parameters_are_never_set_or_removed(param):
    for present, absent in (([param], []), ([], [param])):
        with pytest.raises(CmdlineError, match="which the Pi needs to boot"):
            edit_cmdline(PIOS, present, absent)
    # Look-alikes are ordinary parameters.
    assert edit_cmdline(PIOS, ["rootdelay_x=1", "initcall_debug"]).endswith(
        "rootdelay_x=1 initcall_debug\n"
    )


def test_unchanged_line_is_returned_byte_for_byte():
    text = PIOS[:-1] + " cgroup_enable=memory\n"
    assert edit_cmdline(text, WANT, DROP) is not None
    assert edit_cmdline(text, WANT, DROP) == text


def test_several_lines_are_refused():
    with pytest.raises(CmdlineError, match="single line"):
        edit_cmdline("console=tty1\nroot=/r\n", WANT)


@pytest.mark.parametrize(
    ("present", "absent", "match"),
    [
        (["cgroup_enable=memory quiet"], [], "blanks"),
        ([""], [], "non-empty"),
        (['a="b"'], [], "double quote"),
        (["=x"], [], "no name"),
        (["quiet"], ["quiet"], "both wanted and unwanted"),
        (["splash=1"], ["splash"], "both wanted and unwanted"),
    ],
)
def test_bad_requests_are_refused(present, absent, match):
    with pytest.raises(CmdlineError, match=match):
        edit_cmdline(PIOS, present, absent)


def test_param_helpers():
    assert param_key("cgroup_enable=memory") == "cgroup_enable"
    assert param_key("quiet") == "quiet"
    assert param_problems(["a=b", "c"]) == []
    assert param_problems([3]) == ["parameter 3 must be a non-empty string"]


def test_diff_shows_before_and_after():
    diff = cmdline_diff("/boot/firmware/cmdline.txt", "a\n", "a b\n")
    assert diff["before"] == "a\n"
    assert diff["after"] == "a b\n"
    assert diff["before_header"] == "/boot/firmware/cmdline.txt (content)"


@pytest.mark.parametrize(
    "text",
    [
        PIOS,
        PIOS[:-1] + " cgroup_enable=memory\n",
        "  " + PIOS[:-1] + " cgroup_enable=memory  \r\n",
        PIOS[:-1] + " cgroup_enable=memory cgroup_disable=memory\n",
        PIOS[:-1] + " cgroup_enable=memory cgroup_enable=memory\n",
        PIOS[:-1] + " cgroup_enable=cpuset cgroup_enable=memory",
        "console=tty1\nroot=/r\n",
        "console=tty1 rootwait\n",
    ],
)
@pytest.mark.parametrize(
    ("present", "absent"),
    [(WANT, DROP), (WANT, []), ([], DROP), (["quiet"], ["splash"]), (["root=/x"], [])],
)
def test_the_filter_decides_as_the_module_from_the_line_node_facts_reads(text, present, absent):
    # The node role skips the module when the filter leaves node_facts' line
    # (the file's text, stripped) as it is: that must be exactly when the
    # module would change nothing, and never when the module would refuse.
    line = text.strip()
    try:
        module_changes = edit_cmdline(text, present, absent) != text
    except CmdlineError:
        module_changes = None
    skipped = cmdline_edit(line, present, absent) == line
    assert skipped == (module_changes is False)


def test_the_filter_wants_a_string():
    with pytest.raises(AnsibleFilterError, match="as a string"):
        cmdline_edit(None, WANT)
