"""What the bench measures and where it writes it: what is fixed, and the
BENCH_* settings, read from the environment when a run starts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from tests.support import REPO

OUT = REPO / "build" / "bench"
LOGS = OUT / "logs"
LAB_PREFIX = "pifleet-lab-bench"
SITE = "demo.pifleet.lan"
IMAGES = ("pifleet/caddy:2", "pifleet/php-fpm:8")
APT_LOG = "/var/log/pifleet-bench-apt-updates.log"
# The aged re-run: apt's lists and stamps this many days old (past any
# cache_valid_time a role or the plain way uses), as a week after the cold run.
AGED_DAYS = 8
# Every playbook and SSH command is bounded, so a stuck node cannot hang the bench.
PLAYBOOK_TIMEOUT = 3600
# The least a knob's warm re-run is given before it counts as hung.
KNOB_TIMEOUT = 120
SSH_TIMEOUT = 900
SITE_TIMEOUT = 240
# Seconds the direct Caddy gets to start (its internal CA; slow under emulation).
LOAD_START_WAIT = 300
WAYS = ("ours", "plain", "floor")
# What the plain way (bench/plain/site.yml) does not do of what site.yml does,
# printed under the table: both write daemon.json, label nodes by arch, run
# the stack with healthchecks and validate the Caddyfile when it changes.
PLAIN_DIFFERENCES = (
    "no checks before a change: no input rules, no preflight (OS, clock skew, free space,"
    " memory cgroup), no plan that refuses a change that would break the Swarm",
    "no time sync service, no swap or hostname handling (both skip these on the lab)",
    "keys kept as files: the CA and site keys on the controller, the site key on the"
    " manager (ours: the CA key only as a Docker secret)",
    "no least privilege in the stack (capabilities, read-only root), no rolling update"
    " or rollback settings, no content-named configs, no model label",
    "images built once by plain docker_image and copied through the controller"
    " (ours: by content hash, streamed node to node); no fleet table at the end",
)
# How the images reach the nodes that lack them. The registry twice: the first
# run also builds the registry image and starts its service (once per fleet);
# the second finds the builds in the registry and only pulls.
DISTRIBUTION = (
    ("stream", "stream"),
    ("registry", "registry"),
    ("registry_again", "registry"),
    ("build", "build"),
)


@dataclass(frozen=True)
class Settings:
    runs: int = 3  # BENCH_RUNS: A-B pairs per lab size (0: the VM part alone)
    nodes: tuple[int, ...] = (3, 12)  # BENCH_NODES: lab sizes
    knobs: bool = True  # BENCH_KNOBS: the Ansible knobs on the largest lab
    extras: bool = True  # BENCH_EXTRAS: images, arm_image and load on the labs
    ways: tuple[str, ...] = WAYS  # BENCH_WAYS
    load_seconds: int = 10  # BENCH_LOAD_SECONDS: each wrk run
    load_connections: int = 8  # BENCH_LOAD_CONNECTIONS
    load_rounds: int = 2  # BENCH_LOAD_ROUNDS: alternating rounds, the median kept
    vm: bool = True  # BENCH_VM: the aarch64 VM part first

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The BENCH_* variables of `environ` (this process's by default); an
        empty or unset one keeps its default."""
        env = os.environ if environ is None else environ
        default = cls()

        def setting(name: str, value: object) -> str:
            return env.get(name, "").strip() or str(value)

        def switch(name: str, value: bool) -> bool:
            return setting(name, "1" if value else "0") == "1"

        return cls(
            runs=int(setting("BENCH_RUNS", default.runs)),
            nodes=tuple(int(n) for n in setting("BENCH_NODES", "3 12").split()),
            knobs=switch("BENCH_KNOBS", default.knobs),
            extras=switch("BENCH_EXTRAS", default.extras),
            ways=tuple(setting("BENCH_WAYS", " ".join(default.ways)).split()),
            load_seconds=int(setting("BENCH_LOAD_SECONDS", default.load_seconds)),
            load_connections=int(setting("BENCH_LOAD_CONNECTIONS", default.load_connections)),
            load_rounds=int(setting("BENCH_LOAD_ROUNDS", default.load_rounds)),
            vm=switch("BENCH_VM", default.vm),
        )
