"""The figures the bench reports, from what it measured: medians, the
ours/other ratio of each A-B pair, a run's recap totals, the load samples'
medians and sums. Pure functions of the data, tested in tests/unit."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from bench.settings import WAYS


def med(values: Sequence[float | None], digits: int = 1) -> float | None:
    """The median of the values that are there, rounded; None for none."""
    present = [v for v in values if v is not None]
    return round(statistics.median(present), digits) if present else None


def ratios(ours: list[dict], other: list[dict], phase: str) -> list[float]:
    """ours/other for each pair of runs (run 1 with run 1, ...), of the cold
    total or the warm seconds; a pair where either failed gives none."""
    key = "total" if phase == "cold" else "seconds"
    out = []
    for a, b in zip(ours, other, strict=False):
        va = a.get(phase, {}).get(key)
        vb = b.get(phase, {}).get(key)
        if va and vb and "error" not in a and "error" not in b:
            out.append(round(va / vb, 2))
    return out


def summarise(data: dict, nodes: Sequence[int]) -> dict:
    """A row per lab size and way: runs, failures, median cold and warm seconds
    of the runs that succeeded, each warm run's changes and apt-get updates,
    its SSH calls per node, the same for the aged re-run (apt's lists a week
    old) and its time against the warm one, and the ratios against ours."""
    rows = []
    for n in nodes:
        by_way = {w: [r for r in data["runs"] if r["nodes"] == n and r["way"] == w] for w in WAYS}
        for way, runs in by_way.items():
            if not runs:
                continue
            good = [r for r in runs if "error" not in r]
            row = {
                "nodes": n,
                "way": way,
                "runs": len(runs),
                "failed": len(runs) - len(good),
                "cold": med([r["cold"].get("total") for r in good]),
                "warm": med([r["warm"]["seconds"] for r in good if "warm" in r]),
                "warm_changed": [r["warm"]["changed"] for r in runs if "warm" in r],
                "warm_apt": [r["warm"]["apt_updates"] for r in runs if "warm" in r],
                "warm_calls": med([calls_per_node(r, "warm") for r in good]),
                "aged": med([r["aged"]["seconds"] for r in good if "aged" in r]),
                "aged_apt": [r["aged"]["apt_updates"] for r in runs if "aged" in r],
                "aged_vs_warm": [
                    round(r["aged"]["seconds"] / r["warm"]["seconds"], 2)
                    for r in good
                    if "aged" in r and r["warm"]["seconds"]
                ],
            }
            if way != "ours":
                row["cold_ratio"] = ratios(by_way["ours"], runs, "cold")
                for phase in ("warm", "aged"):
                    pair = ratios(by_way["ours"], runs, phase) if way == "plain" else []
                    row[f"{phase}_ratio"] = pair
            rows.append(row)
    return {"rows": rows}


def calls_per_node(run: dict, phase: str) -> float | None:
    """A run's SSH calls in that phase, per node of its lab (None if not counted)."""
    calls = run.get(phase, {}).get("calls")
    return round(calls["total"] / run["nodes"], 1) if calls else None


def recap_totals(recap: dict[str, dict[str, int]]) -> dict:
    """A run's recap in three numbers: hosts, changes, and hosts' failures (an
    unreachable host counts as failed)."""
    return {
        "hosts": len(recap),
        "changed": sum(h["changed"] for h in recap.values()),
        "failed": sum(h["failed"] + h["unreachable"] for h in recap.values()),
    }


def host_names(word: str) -> set[str]:
    """What a word of an ssh, sftp or scp command line may name as its host:
    itself, and without user@, [brackets] or scp's :path."""
    host = word.rpartition("@")[2]
    bracketed = host[1 : host.find("]")] if host.startswith("[") and "]" in host else host
    return {word, host, bracketed, bracketed.partition(":")[0]}


def remote_calls(lines: Sequence[str], addresses: Sequence[str]) -> dict:
    """What bench/calls/ssh logged for one run, counted: SSH commands and file
    transfers (sftp, scp) per node address (an argument of the call, or
    user@address), their total, and the calls naming none of the nodes."""
    per = dict.fromkeys(addresses, 0)
    other = 0
    for line in lines:
        words = line.split()[1:]
        named = {name for w in words for name in host_names(w)}
        hit = next((a for a in addresses if a in named), None)
        if hit is None:
            other += 1
        else:
            per[hit] += 1
    return {"total": sum(per.values()), "per_node": per, "other": other}


def load_summary(samples: list[dict]) -> dict:
    """wrk's rounds on one path: the median requests/s and p99 of the rounds
    that ran, their errors added up, the rounds kept; the first failure when
    none ran."""
    ran = [s for s in samples if "error" not in s]
    if not ran:
        return samples[0]
    return {
        "rps": round(statistics.median(s["rps"] for s in ran), 1),
        "p99_ms": round(statistics.median(s["p99_ms"] for s in ran), 2),
        "non_2xx": sum(s["non_2xx"] for s in ran),
        "timeouts": sum(s["timeouts"] for s in ran),
        "samples": ran,
    }
