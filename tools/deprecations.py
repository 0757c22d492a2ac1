#!/usr/bin/env python3
"""tools/deprecations.py LOG...

Fails when a run's output carries a deprecation warning that comes from this
collection (its roles, playbooks or plugins, by path or by name): what
ansible-core deprecates today, a future release removes. Warnings from
elsewhere (another collection, ansible-core itself) are listed, not counted.
A warning is its [DEPRECATION WARNING] line and the lines up to the next blank
one, its "Origin:" among them.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = re.compile(
    rf"pifleet\.swarm|ansible_collections/pifleet/swarm/|{re.escape(str(ROOT))}/"
    r"(roles|playbooks|plugins|extensions)/"
)


def warnings(text: str) -> list[str]:
    out, block = [], None
    for line in text.splitlines():
        if "[DEPRECATION WARNING]" in line:
            if block:
                out.append("\n".join(block))
            block = [line]
        elif block is not None:
            if not line.strip():
                out.append("\n".join(block))
                block = None
            else:
                block.append(line)
    if block:
        out.append("\n".join(block))
    return out


def main(logs: list[str]) -> int:
    status = 0
    for log in logs:
        found = warnings(Path(log).read_text(errors="replace"))
        mine = sorted({w for w in found if OURS.search(w)})
        others = sorted({w for w in found if not OURS.search(w)})
        if mine:
            status = 1
            print(f"FAIL: {len(mine)} deprecation warning(s) from this collection in {log}:")
            print("\n--\n".join(mine))
        if others:
            print(f"{len(others)} deprecation warning(s) from elsewhere in {log} (not counted):")
            print("\n--\n".join(others[:10]))
        if not found:
            print(f"no deprecation warnings in {log}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
