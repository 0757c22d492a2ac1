# What the docker role needs to know about a node's packages and engine, read in
# one Python start (slow on a Pi) and printed as JSON. Reads only; python3-apt is
# on every Debian-family node (the apt module needs it too).
# argv: package names to report on.
import json
import os
import shutil
import subprocess
import sys

import apt

cache = apt.Cache()
installed = {}
candidates = {}
for name in sys.argv[1:]:
    try:
        pkg = cache[name]
    except KeyError:  # apt knows no such package (yet: empty lists)
        pkg = None
    if pkg is not None and pkg.installed is not None:
        installed[name] = pkg.installed.version
    candidates[name] = pkg.candidate.version if pkg is not None and pkg.candidate else None

# docker.io puts dockerd in /usr/sbin, docker-ce in /usr/bin; PATH may lack sbin.
search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin:/usr/bin:/sbin:/bin"])
dockerd = shutil.which("dockerd", path=search) or ""
version = ""
if dockerd:
    run = subprocess.run([dockerd, "--version"], capture_output=True, text=True, check=False)
    version = run.stdout.strip()
json.dump(
    {
        "installed": installed,
        "candidates": candidates,
        "dockerd": dockerd,
        "dockerd_version": version,
    },
    sys.stdout,
)
