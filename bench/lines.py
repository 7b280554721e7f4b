"""The same stack benchmark on another Airflow line, side by side with this process' line.

A process imports one Airflow, so another line's stack section runs in that line's venv
(``.venv-airflow<N>``, made by ``make install AIRFLOW_LINE=<N>``) as ``python -m bench --sections
stack``; its results file is read back into this run. Both lines use the same machine within
minutes of each other, so their ratio is the comparison (absolute numbers move with the machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airkit.stack.project import venv_python
from bench.stats import ratio

REPO = Path(__file__).resolve().parent.parent

#: (label, how to read it from a stack section's result, unit), one row each in the comparison.
METRICS: tuple[tuple[str, Callable[[dict[str, Any]], Any], str], ...] = (
    ("cold start", lambda s: s["startup"].get("tuned", {}).get("cold_s"), "s"),
    ("warm start", lambda s: s["startup"].get("tuned", {}).get("warm_s"), "s"),
    ("idle PSS, all components", lambda s: (s.get("footprint") or {}).get("total_mib"), "MiB"),
    ("idle CPU, all components", lambda s: (s.get("footprint") or {}).get("idle_cpu_pct_total"), "% of a core"),
    ("chain gap p50", lambda s: s["scheduling"].get("tuned", {}).get("chain_gap_p50_s"), "s"),
    ("fan-out", lambda s: s["scheduling"].get("tuned", {}).get("fanout_tasks_per_s"), "tasks/s"),
    ("worker PSS after the fan-out", lambda s: s["scheduling"].get("tuned", {}).get("worker_pss_after_mib"), "MiB"),
    ("worker PSS once its pool shrank", lambda s: s["scheduling"].get("tuned", {}).get("worker_pss_settled_mib"), "MiB"),
)



def run_stack_section(major: int, runtime: str, quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """The stack section of ``python -m bench`` in line ``major``'s venv; its result and Airflow version."""
    with tempfile.TemporaryDirectory(prefix=f"airkit-bench-line{major}-") as out:
        command = [str(venv_python(major)), "-m", "bench", "--sections", "stack", "--runtime", runtime,
                   "--out", out, *(["--quick"] if quick else [])]
        log(f"lines: Airflow line {major}: {' '.join(command[1:])}")
        # Its output goes straight to ours: the other line's progress is logged as it happens.
        done = subprocess.run(command, cwd=REPO, env={**os.environ, "AIRFLOW_LINE": str(major)})
        files = sorted(Path(out).glob("*.json"))
        if not files:
            raise RuntimeError(f"Airflow line {major}: the bench wrote no results (exit {done.returncode})")
        result = json.loads(files[-1].read_text())
    if result.get("errors"):
        raise RuntimeError(f"Airflow line {major}: {'; '.join(result['errors'])}")
    return {"airflow": result["machine"].get("airflow"), "stack": result["stack"],
            "targets": result.get("targets", [])}


def compare(lines: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per metric: each line's value and the first line's value / each other line's."""
    labels = list(lines)
    rows = []
    for name, read, unit in METRICS:
        values = {label: _read(read, lines[label]["stack"]) for label in labels}
        rows.append({"metric": name, "unit": unit, "values": values,
                     "ratios": {label: ratio(values[labels[0]], values[label]) for label in labels[1:]}})
    return rows


def _read(read: Callable[[dict[str, Any]], Any], stack: dict[str, Any]) -> Any:
    try:
        return read(stack)
    except (KeyError, TypeError):
        return None
