"""Integration-suite wall time: `make test-integration` on RUNTIME (its own isolated stack, start
included), timed by the bench (BENCH_SUITE=1), with pytest's table of the slowest tests."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import target

REPO = Path(__file__).resolve().parent.parent


def run(runtime: str, log: Callable[[str], None] = print) -> dict[str, Any]:
    command = ["make", "test-integration", f"RUNTIME={runtime}"]
    env = {**os.environ, "AIRKIT_TEST_STATE": str(REPO / ".state" / "bench" / f"suite-{runtime}"),
           "AIRKIT_TEST_PROJECT": "airkit-bench-suite"}
    env.pop("KEEP_STACK", None)
    log(f"suite: {' '.join(command)} (isolated test stack)")
    t0 = time.monotonic()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
    log(f"suite: exit {result.returncode} after {seconds:.0f}s: {' / '.join(tail)}")
    return {"command": " ".join(command), "seconds": round(seconds, 1), "exit_code": result.returncode,
            "summary": tail, "slowest": slowest(result.stdout),
            "targets": [target(f"{runtime}: integration suite wall time", seconds, "<=", 600, " s")]}


def slowest(output: str) -> list[str]:
    """The integration run's `--durations` table (where the time went), as pytest printed it."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if "slowest" in line and "durations" in line]
    if not starts:
        return []
    table = []
    for line in lines[starts[-1] + 1:]:
        if not line.strip() or line.startswith("="):
            break
        table.append(line.strip())
    return table
