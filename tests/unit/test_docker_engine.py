"""The docker role's reading of a node (docker_engine_info) and the apt
policy every role installs with (apt_packages): the pure parts, tabled."""

import os

import pytest
from ansible.plugins.filter.core import get_hash
from ansible.utils.hashing import checksum_s
from ansible_collections.pifleet.swarm.plugins.module_utils._apt import (
    lists_age,
    needs_refresh,
    parse_candidates,
    parse_installed,
)
from ansible_collections.pifleet.swarm.plugins.module_utils._docker_engine import (
    can_validate,
    conflicts,
    file_state,
    find_dockerd,
    parse_dockerd_version,
    parse_engine,
    parse_unit_state,
    plan,
    repo_key,
    wanted,
)
from ansible_collections.pifleet.swarm.plugins.modules import apt_packages

LIBS = ["python3-docker", "python3-requests"]
DISTRO = ["docker.io"]
CE = ["docker-ce", "docker-ce-cli", "containerd.io"]


@pytest.mark.parametrize(
    ("source", "libraries", "engine"),
    [
        ("docker", [*LIBS, "python3-debian"], CE),
        ("distro", [*LIBS, "docker.io"], []),
        ("present", LIBS, []),
    ],
)
def test_each_source_wants_its_packages_in_two_transactions(source, libraries, engine):
    assert wanted(source, LIBS, DISTRO, CE) == {"libraries": libraries, "engine": engine}


def test_the_plan_lists_only_what_is_missing_in_order():
    want = wanted("docker", LIBS, DISTRO, CE)
    installed = {"python3-docker": "7.1.0-2", "docker-ce-cli": "5:29.0.0"}
    assert plan(want, installed) == {
        "libraries": ["python3-requests", "python3-debian"],
        "engine": ["docker-ce", "containerd.io"],
    }
    everything = dict.fromkeys([*LIBS, "python3-debian", *CE], "1")
    assert plan(want, everything) == {"libraries": [], "engine": []}


@pytest.mark.parametrize(
    ("source", "installed", "dockerd", "refused"),
    [
        # docker-ce would make apt remove another engine.
        ("docker", {"docker.io": "20.10"}, "/usr/sbin/dockerd", "apt would remove that engine"),
        ("docker", {"moby-engine": "20.10"}, "/usr/bin/dockerd", "moby-engine is installed"),
        ("docker", {"docker-ce": "5:29", "docker.io": "x"}, "/usr/bin/dockerd", None),
        ("docker", {}, "", None),
        # docker.io cannot go beside docker-ce.
        ("distro", {"docker-ce": "5:28.5.2"}, "/usr/bin/dockerd", "docker-ce 5:28.5.2"),
        ("distro", {"docker.io": "26.1"}, "/usr/sbin/dockerd", None),
        # present configures an engine; there must be one.
        ("present", {}, "", "no Docker Engine is installed"),
        ("present", {}, "/usr/bin/dockerd", None),
    ],
)
def test_an_engine_that_does_not_fit_the_source_is_refused(source, installed, dockerd, refused):
    found = conflicts(source, installed, dockerd)
    if refused is None:
        assert found == []
    else:
        assert len(found) == 1 and refused in found[0], found
        assert "Set docker_engine_source" in found[0]


def test_dockerd_is_found_in_sbin_without_it_on_path(tmp_path):
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    dockerd = sbin / "dockerd"
    dockerd.write_text("#!/bin/sh\n")
    dockerd.chmod(0o755)
    assert find_dockerd(f"{tmp_path}/bin:{sbin}") == str(dockerd)
    assert find_dockerd(f"{tmp_path}/bin") in (
        "",
        "/usr/sbin/dockerd",
        "/usr/bin/dockerd",
        "/sbin/dockerd",
        "/bin/dockerd",
    )


@pytest.mark.parametrize(
    ("text", "version", "validates"),
    [
        ("Docker version 20.10.24+dfsg1, build 297e128", "20.10.24+dfsg1", False),
        ("Docker version 26.1.5+dfsg1, build a72d7cd\n", "26.1.5+dfsg1", True),
        ("Docker version 29.0.0, build 1234567", "29.0.0", True),
        ("", "", False),
        (None, "", False),
        ("garbage", "", False),
    ],
)
def test_dockerd_version(text, version, validates):
    assert parse_dockerd_version(text) == version
    assert can_validate(version) is validates


DPKG = (
    "docker.io\tii \t26.1.5+dfsg1-9\n"
    "python3-docker\trc \t7.1.0-2\n"  # removed, its config left: not installed
    "containerd\thi \t1.7.24\n"  # held: installed
    "stranger\tii \t1\n"  # not asked for
)


def test_dpkg_reports_installed_and_held_packages_only():
    names = ["docker.io", "python3-docker", "containerd", "python3-yaml"]
    assert parse_installed(DPKG, names) == {"docker.io": "26.1.5+dfsg1-9", "containerd": "1.7.24"}


POLICY = """docker-ce:
  Installed: (none)
  Candidate: 5:29.0.0-1~debian.13~trixie
  Version table:
python3-yaml:
  Installed: (none)
  Candidate: (none)
"""


def test_apt_cache_policy_candidates_none_when_apt_has_none_or_no_block():
    names = ["docker-ce", "python3-yaml", "docker-ce-cli"]
    assert parse_candidates(POLICY, names) == {
        "docker-ce": "5:29.0.0-1~debian.13~trixie",
        "python3-yaml": None,
        "docker-ce-cli": None,
    }


DAY = 86400


@pytest.mark.parametrize(
    ("missing", "candidates", "age", "refresh"),
    [
        # Nothing missing: apt is not touched, however old the lists (a re-run a week later).
        ([], {}, 30 * DAY, False),
        ([], {}, None, False),
        # Missing and offered by fresh lists: install without fetching.
        (["a"], {"a": "1"}, 60, False),
        # Apt cannot offer it (fresh image, new source): fetch first.
        (["a", "b"], {"a": "1", "b": None}, 60, True),
        # Offered, but by lists older than cache_valid_time, or never fetched.
        (["a"], {"a": "1"}, 2 * DAY, True),
        (["a"], {"a": "1"}, None, True),
    ],
)
def test_lists_are_fetched_only_to_install_something(missing, candidates, age, refresh):
    assert needs_refresh(missing, candidates, age, DAY) is refresh


def test_lists_age_reads_the_first_stamp_that_exists(tmp_path):
    stamp = tmp_path / "lists"
    stamp.mkdir()
    now = stamp.stat().st_mtime + 100
    assert lists_age((str(tmp_path / "absent"), str(stamp)), now=now) == pytest.approx(100)
    assert lists_age((str(tmp_path / "absent"),)) is None


class _Apt:
    """A stand-in for AnsibleModule.run_command that answers apt-get from a
    script of return codes, recording each call: the retry policy is the
    logic under test, apt itself runs in the docker and node scenarios."""

    def __init__(self, codes, retries=3, install_recommends=True):
        self.codes = list(codes)
        self.calls = []
        self.params = {"retries": retries, "delay": 0, "install_recommends": install_recommends}

    def run_command(self, argv, environ_update=None):
        assert environ_update["DEBIAN_FRONTEND"] == "noninteractive"
        verb = "update" if "update" in argv else "install"
        self.calls.append((verb, argv))
        rc = self.codes.pop(0)
        return rc, "", "" if rc == 0 else f"E: {verb} broke"


def _verbs(apt):
    return [verb for verb, _argv in apt.calls]


def test_an_install_with_candidates_and_fresh_lists_fetches_nothing():
    apt = _Apt([0])
    assert apt_packages._install(apt, ["python3-yaml"], refresh=False) == (False, "")
    assert _verbs(apt) == ["install"]
    argv = apt.calls[0][1]
    assert argv[-1] == "python3-yaml" and "--no-install-recommends" not in argv
    # Another apt holding the lock (apt-daily on a fresh image) is waited for.
    assert "DPkg::Lock::Timeout=300" in argv


def test_a_failed_install_is_retried_after_fetching_the_lists_again():
    # install fails (a .deb gone from the mirror), then update + install work
    apt = _Apt([100, 0, 0])
    assert apt_packages._install(apt, ["docker-ce"], refresh=False) == (True, "")
    assert _verbs(apt) == ["install", "update", "install"]


def test_a_mirror_that_stays_away_fails_after_the_retries_naming_the_step():
    apt = _Apt([100] * 4, retries=3)
    fetched, error = apt_packages._install(apt, ["docker-ce"], refresh=True)
    assert fetched is False
    assert error == "apt-get update failed: E: update broke"
    assert _verbs(apt) == ["update"] * 4


def test_without_recommends_when_asked():
    apt = _Apt([0, 0], install_recommends=False)
    apt_packages._install(apt, ["iproute2"], refresh=True)
    assert _verbs(apt) == ["update", "install"]
    assert "--no-install-recommends" in apt.calls[1][1]


@pytest.mark.parametrize(
    ("stored", "found"),
    [
        ([], ""),
        (["docker.asc"], "docker.asc"),
        (["docker.gpg"], "docker.gpg"),
        (["docker.asc", "docker.gpg"], "docker.asc"),
    ],
)
def test_the_stored_repository_key_is_found_so_it_is_not_downloaded_again(tmp_path, stored, found):
    keys = (str(tmp_path / "docker.asc"), str(tmp_path / "docker.gpg"))
    for name in stored:
        (tmp_path / name).write_text("key")
    assert repo_key(keys) == (str(tmp_path / found) if found else "")


@pytest.mark.parametrize(
    ("enabled", "active", "state"),
    [
        ("enabled\n", "active\n", {"enabled": True, "active": True}),
        ("disabled\n", "active\n", {"enabled": False, "active": True}),
        ("enabled\n", "inactive\n", {"enabled": True, "active": False}),
        ("masked\n", "failed\n", {"enabled": False, "active": False}),
        # No unit at all (no engine yet), or no systemctl: neither.
        ("", "", {"enabled": False, "active": False}),
        ("enabled-runtime\n", "activating\n", {"enabled": True, "active": False}),
    ],
)
def test_the_engine_unit_is_left_alone_only_when_enabled_and_running(enabled, active, state):
    assert parse_unit_state(enabled, active) == state


NO_ENGINE = {"version": "", "storage_driver": ""}


@pytest.mark.parametrize(
    ("rc", "out", "engine"),
    [
        (0, '"26.1.5" "overlay2"\n', {"version": "26.1.5", "storage_driver": "overlay2"}),
        (0, '"20.10.24+dfsg1" "vfs"', {"version": "20.10.24+dfsg1", "storage_driver": "vfs"}),
        # The daemon does not answer (docker info fails), or says something else.
        (1, "", NO_ENGINE),
        (0, "", NO_ENGINE),
        (0, '"29.1.0" "overlay2" "extra"', NO_ENGINE),
        (0, "29.1.0 overlay2", NO_ENGINE),
        (0, 'null "overlay2"', NO_ENGINE),
    ],
)
def test_the_running_engine_is_read_from_docker_info(rc, out, engine):
    assert parse_engine(rc, out) == engine


def test_daemon_json_is_read_as_copy_compares_it(tmp_path):
    # The role skips "Write daemon.json" when this equals what it would
    # write, hashed with the hash filter: both must agree with copy's checksum.
    content = '{\n  "log-driver": "json-file",\n  "note": "caf\u00e9"\n}\n'
    path = tmp_path / "daemon.json"
    path.write_text(content, encoding="utf-8")
    path.chmod(0o640)
    assert file_state(str(path)) == {
        "checksum": checksum_s(content),
        "mode": "0640",
        "uid": os.getuid(),
        "gid": os.getgid(),
    }
    assert get_hash(content, "sha1") == checksum_s(content)


def test_no_regular_file_has_no_state(tmp_path):
    assert file_state(str(tmp_path)) == {}
    assert file_state(str(tmp_path / "absent")) == {}
