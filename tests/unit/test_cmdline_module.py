"""The cmdline module end to end on a file: check mode writes nothing, diff shows the line."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.pifleet.swarm.plugins.modules import cmdline

LINE = "console=tty1 cgroup_disable=memory root=/dev/mmcblk0p2 rootwait\n"
WANT = "console=tty1 root=/dev/mmcblk0p2 rootwait cgroup_enable=memory\n"


def _run(capsys, **args):
    with patch_module_args(args), pytest.raises(SystemExit):
        cmdline.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def path(tmp_path):
    target = tmp_path / "cmdline.txt"
    target.write_text(LINE)
    return target


def _args(path, **extra):
    return {
        "path": str(path),
        "present": ["cgroup_enable=memory"],
        "absent": ["cgroup_disable=memory"],
        **extra,
    }


def test_check_mode_predicts_and_writes_nothing(capsys, path):
    result = _run(capsys, **_args(path, _ansible_check_mode=True, _ansible_diff=True))
    assert result["changed"] is True
    assert result["diff"]["before"] == LINE
    assert result["diff"]["after"] == WANT
    assert path.read_text() == LINE


def test_change_then_nothing_to_do(capsys, path):
    first = _run(capsys, **_args(path, backup=True))
    assert first["changed"] is True
    assert path.read_text() == WANT
    backups = [p for p in path.parent.iterdir() if p.name.startswith("cmdline.txt.")]
    assert len(backups) == 1
    assert backups[0].read_text() == LINE
    assert first["backup_file"] == str(backups[0])
    # The Pi's boot partition is FAT: no character it refuses (Ansible's own
    # backup names carry HH:MM:SS).
    assert not set(backups[0].name) & cmdline.FAT_FORBIDDEN, backups[0].name
    assert first["previous"] == LINE.rstrip("\n")
    second = _run(capsys, **_args(path))
    assert second["changed"] is False
    assert second["cmdline"] == WANT.rstrip("\n")


def test_several_lines_fail_and_leave_the_file(capsys, path):
    path.write_text("console=tty1\nrootwait\n")
    result = _run(capsys, **_args(path))
    assert result["failed"] is True
    assert "single line" in result["msg"]
    assert path.read_text() == "console=tty1\nrootwait\n"


def test_missing_file_fails_clearly(capsys, tmp_path):
    result = _run(capsys, **_args(tmp_path / "nope.txt"))
    assert result["failed"] is True
    assert "cannot read" in result["msg"]


def test_backup_names_are_fat_safe_and_never_overwrite():
    now = 1795884000.0  # 2026-11-28, any time of day
    taken = {
        "/boot/firmware/cmdline.txt."
        + cmdline.time.strftime("%Y%m%d-%H%M%S", cmdline.time.localtime(now))
        + ".bak"
    }
    first = cmdline.backup_name("/boot/firmware/cmdline.txt", now, lambda n: False)
    assert first in taken
    assert not set(first.rsplit("/", 1)[1]) & cmdline.FAT_FORBIDDEN
    second = cmdline.backup_name("/boot/firmware/cmdline.txt", now, taken.__contains__)
    assert second != first and second.endswith("-2.bak")
