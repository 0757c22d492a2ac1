# What the docker role needs to know about a node's packages and engine, read in
# one Python start (slow on a Pi) and printed as JSON. Reads only. It asks dpkg
# and apt-cache rather than python3-apt, which a minimal image (debootstrap
# minbase, DietPi, Armbian) may not have before this role installs it.
# argv: package names to report on.
import json
import os
import re
import shutil
import subprocess
import sys

names = sys.argv[1:]
env = {**os.environ, "LC_ALL": "C"}

# Installed: dpkg's status "ii" (or "hi", held). Unknown names only add a
# message on stderr.
dpkg = subprocess.run(
    ["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\t${Version}\n", *names],
    capture_output=True,
    text=True,
    check=False,
    env=env,
)
installed = {}
for line in dpkg.stdout.splitlines():
    name, status, version = [*line.split("\t"), "", ""][:3]
    if status.strip() in ("ii", "hi") and name in names:
        installed[name] = version

# Candidates: apt-cache policy prints a block per package apt knows
# ("name:" then "  Candidate: version" or "(none)"); packages it does not
# know (yet: empty lists) get no block.
policy = subprocess.run(
    ["apt-cache", "policy", *names], capture_output=True, text=True, check=False, env=env
)
candidates = dict.fromkeys(names)
current = None
for line in policy.stdout.splitlines():
    header = re.match(r"^(\S+):$", line)
    if header:
        current = header.group(1)
        continue
    found = re.match(r"^\s+Candidate:\s+(\S+)", line)
    if found and current in candidates:
        candidates[current] = None if found.group(1) == "(none)" else found.group(1)

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
