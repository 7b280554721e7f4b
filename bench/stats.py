"""Pure helpers: percentiles, ratios, target verdicts, the printed table, machine description."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method); None for no values."""
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, or None when either is missing or the baseline is zero."""
    if value is None or baseline in (None, 0):
        return None
    return value / baseline


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if seconds > 0 else None


def verdict(value: float | None, op: str, target: float) -> str:
    """'met', 'missed' or 'n/a': how ``value`` compares with a target (reported, never asserted)."""
    if value is None:
        return "n/a"
    ok = value <= target if op == "<=" else value >= target
    return "met" if ok else "missed"


def target(name: str, value: float | None, op: str, goal: float, unit: str = "") -> dict[str, Any]:
    if op not in ("<=", ">="):
        raise ValueError(f"op must be '<=' or '>=', got {op!r}")
    return {"name": name, "value": value, "op": op, "target": goal, "unit": unit,
            "verdict": verdict(value, op, goal)}


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-markdown table (it reads fine in a terminal too)."""
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(items: Sequence[str]) -> str:
        return "| " + " | ".join(s.ljust(w) for s, w in zip(items, widths)) + " |"

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)])


def gaps(chain: Sequence[tuple[float, float]]) -> list[float]:
    """Seconds between each task's end and the next task's start, for (start, end) in chain order."""
    return [chain[i + 1][0] - chain[i][1] for i in range(len(chain) - 1)]


def pss_kib(smaps_rollup: str) -> int:
    """The Pss line of a /proc/<pid>/smaps_rollup, in KiB."""
    for line in smaps_rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise ValueError("no Pss line in smaps_rollup")


def machine() -> dict[str, Any]:
    """What the numbers were measured on: cores, memory, CPU, kernel, versions."""
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }
    try:
        meminfo = open("/proc/meminfo").read()
        kib = next(int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:"))
        info["memory_gib"] = round(kib / 1024 / 1024, 1)
        cpuinfo = open("/proc/cpuinfo").read()
        info["cpu_model"] = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), None
        )
        info["load_avg_at_start"] = list(os.getloadavg())
    except OSError:
        pass
    try:
        import airflow

        info["airflow"] = airflow.__version__
    except ImportError:
        info["airflow"] = None
    pg = subprocess.run(["bash", "-c", "/usr/lib/postgresql/15/bin/postgres --version"],
                        capture_output=True, text=True)
    info["postgres"] = pg.stdout.strip() or None
    docker = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                            capture_output=True, text=True) if _has("docker") else None
    info["docker"] = docker.stdout.strip() if docker and docker.returncode == 0 else None
    return info


def _has(binary: str) -> bool:
    from shutil import which

    return which(binary) is not None
