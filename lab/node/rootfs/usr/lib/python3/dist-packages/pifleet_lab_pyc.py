"""Lab nodes only: keep the code Python compiles from Ansible's module payloads.

Ansible ships each module run as a zip of Python source (AnsiballZ), and the
node's Python compiles all of it again on every run: a tenth of a second on a
Pi, 2-3 s under emulation (the aarch64 VM and the qemu-user ARM nodes), where
it was close to half of each task's time. This hands back the code compiled
before for the same source bytes, so what a module does and returns is the
same; only the compile is skipped. Only root writes the cache (anything in it
runs as root); every user reads it. Any trouble with the cache means a plain
compile. A lab stand-in, not part of the collection: the lab's node images and
the VM disk carry it (lab/node/rootfs, lab/vm/node-files), with
pifleet_lab_pyc.pth, which loads it in every python3 on the node.
"""

import _imp
import marshal
import os
import sys
import zipimport
from importlib import _bootstrap_external

CACHE_DIR = "/var/cache/pifleet-lab/pyc"


def _store(path, code):
    """Keep CODE at PATH, whole (a rename) or not at all: a full disk is no error."""
    tmp = f"{path}.{os.getpid()}"
    try:
        os.makedirs(CACHE_DIR, mode=0o755, exist_ok=True)
        with open(tmp, "wb") as f:
            marshal.dump(code, f)
        os.replace(tmp, path)
    except OSError:
        return


def _install():
    compile_source = zipimport._compile_source
    tag = sys.implementation.cache_tag

    def cached_compile(pathname, source):
        key = _imp.source_hash(_bootstrap_external._RAW_MAGIC_NUMBER, source).hex()
        path = f"{CACHE_DIR}/{key}-{len(source)}.{tag}"
        try:
            with open(path, "rb") as f:
                code = marshal.load(f)
        except (OSError, EOFError, ValueError, TypeError):
            code = compile_source(pathname, source)
            if os.geteuid() == 0:
                _store(path, code)
            return code
        # The payload's temp path differs on every run: tracebacks name this one.
        _imp._fix_co_filename(code, pathname)
        return code

    zipimport._compile_source = cached_compile


if getattr(zipimport, "_compile_source", None) is not None:
    _install()
