"""Integration-suite wall time: `make test-integration` on RUNTIME (its own isolated stack, start
included), timed by the bench (BENCH_SUITE=1), with pytest's table of the slowest tests.

On the local runtime the suite's stack is kept until the bench has read what the suite's load did
to it: how often the workers' calls to the execution API timed out or were retried, and the
api-server's memory after serving the whole suite (upstream reports both on busy machines). Those
numbers are what the execution-API timeout and the restart policies are set from."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.stats import target

REPO = Path(__file__).resolve().parent.parent

#: Log lines of trouble between task processes and the execution API (the Task SDK client's
#: httpx timeouts; tenacity's line before each retry sleep).
API_TROUBLE = {
    "timeouts": re.compile(r"\b(?:Read|Connect|Write|Pool)Timeout\b"),
    "retries": re.compile(r"Starting call to '[^']+', this is the \d+\w\w time calling it"),
}


def run(runtime: str, log: Callable[[str], None] = print) -> dict[str, Any]:
    state = REPO / ".state" / "bench" / f"suite-{runtime}"
    keep = runtime == "local"
    command = ["make", "test-integration", f"RUNTIME={runtime}"]
    env = {**os.environ, "AIRKIT_TEST_STATE": str(state), "AIRKIT_TEST_PROJECT": "airkit-bench-suite"}
    env.pop("KEEP_STACK", None)
    if keep:
        env["KEEP_STACK"] = "1"
    log(f"suite: {' '.join(command)} (isolated test stack)")
    t0 = time.monotonic()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - t0
    tail = summary(result)
    log(f"suite: exit {result.returncode} after {seconds:.0f}s: {' / '.join(tail)}")
    out = {"command": " ".join(command), "seconds": round(seconds, 1), "exit_code": result.returncode,
           "summary": tail, "slowest": slowest(result.stdout),
           "targets": [target(f"{runtime}: integration suite wall time", seconds, "<=", 600, " s")]}
    if keep:
        out["after"] = after_suite(state)
        log(f"suite: afterwards {out['after']}")
    return out


def after_suite(state: Path) -> dict[str, Any]:
    """Execution-API trouble in the kept local stack's logs and the api-server's PSS; then the
    stack is stopped and its state removed."""
    from airkit.stack.isolated import isolated_stack
    from bench.stack import process_tree_pss

    stack = isolated_stack("local", state)
    try:
        pid = stack.pids().get("airflow-apiserver")
        kib = process_tree_pss([pid])[0] if pid else 0  # a tree: 2.11's gunicorn has workers
        return {**api_trouble(state / "state" / "logs"), "apiserver_pss_mib": round(kib / 1024, 1) or None}
    finally:
        stack.stop(remove_state=True)


def api_trouble(logs: Path) -> dict[str, int]:
    """How many lines of each API_TROUBLE kind all logs under `logs` hold."""
    counts = dict.fromkeys(API_TROUBLE, 0)
    for path in logs.rglob("*.log*"):
        if not path.is_file():
            continue
        for text_line in path.read_text(errors="replace").splitlines():
            for kind, pattern in API_TROUBLE.items():
                counts[kind] += bool(pattern.search(text_line))
    return counts


def summary(result: subprocess.CompletedProcess) -> list[str]:
    """pytest's FAILED/ERROR lines and its last lines (stdout); stderr holds compose's and make's
    chatter, of which only the last line is kept, and only when the run failed (it says why)."""
    lines = result.stdout.strip().splitlines()
    tail = [line for line in lines[:-3] if line.startswith(("FAILED ", "ERROR "))] + lines[-3:]
    if result.returncode and result.stderr.strip():
        tail.append(result.stderr.strip().splitlines()[-1])
    return tail


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
