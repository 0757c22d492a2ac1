"""The lab nodes' cache of compiled module code (lab/node/rootfs/.../pifleet_lab_pyc.py).

It may only ever skip a compile: the same source gives the same code, with
the file name of the payload it was loaded from; new source is compiled anew;
a broken cache entry means a plain compile; only root writes. Each case runs
in a fresh interpreter, as each Ansible module run does, since the module
patches zipimport for the whole process.
"""

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

MODULE = (
    Path(__file__).resolve().parents[2]
    / "lab/node/rootfs/usr/lib/python3/dist-packages/pifleet_lab_pyc.py"
)

PRELUDE = f"""
import builtins, importlib.util, os, sys
spec = importlib.util.spec_from_file_location("pifleet_lab_pyc", {str(MODULE)!r})
cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cache)
cache.CACHE_DIR = os.environ["CACHE_DIR"]
# As root (only root writes the cache) unless a test says otherwise.
os.geteuid = lambda: int(os.environ["AS_UID"])
"""


def payload(path, source):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("payload_mod.py", source)
    return path


def run(cache_dir, zip_path, body, uid=0):
    code = PRELUDE + f"sys.path.insert(0, {str(zip_path)!r})\n" + textwrap.dedent(body)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={"CACHE_DIR": str(cache_dir), "AS_UID": str(uid)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


SOURCE = "def answer():\n    return 42\n"


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"


def test_the_same_source_is_not_compiled_again(tmp_path, cache_dir):
    first = payload(tmp_path / "a.zip", SOURCE)
    assert run(cache_dir, first, "import payload_mod; print(payload_mod.answer())") == "42"
    assert len(list(cache_dir.iterdir())) == 1
    # A second payload at another temp path, with compile() broken: the
    # import can only succeed from the cache, and names its own file.
    second = payload(tmp_path / "b.zip", SOURCE)
    out = run(
        cache_dir,
        second,
        """
        def refuse(*args, **kwargs):
            raise AssertionError("compiled again")
        builtins.compile = refuse
        import payload_mod
        print(payload_mod.answer(), payload_mod.answer.__code__.co_filename)
        """,
    )
    assert out == f"42 {second}/payload_mod.py"


def test_changed_source_is_compiled_anew(tmp_path, cache_dir):
    run(cache_dir, payload(tmp_path / "a.zip", SOURCE), "import payload_mod")
    changed = payload(tmp_path / "b.zip", SOURCE.replace("42", "43"))
    assert run(cache_dir, changed, "import payload_mod; print(payload_mod.answer())") == "43"
    assert len(list(cache_dir.iterdir())) == 2


def test_a_broken_entry_means_a_plain_compile(tmp_path, cache_dir):
    zip_path = payload(tmp_path / "a.zip", SOURCE)
    run(cache_dir, zip_path, "import payload_mod")
    (entry,) = cache_dir.iterdir()
    entry.write_bytes(b"\x00not marshal data")
    assert run(cache_dir, zip_path, "import payload_mod; print(payload_mod.answer())") == "42"


def test_only_root_writes(tmp_path, cache_dir):
    zip_path = payload(tmp_path / "a.zip", SOURCE)
    out = run(cache_dir, zip_path, "import payload_mod; print(payload_mod.answer())", uid=1000)
    assert out == "42"
    assert not cache_dir.exists()
