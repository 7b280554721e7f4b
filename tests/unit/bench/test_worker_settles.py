"""worker_settles() waits on a real process tree: settled once it is back to its idle size."""
from __future__ import annotations

import subprocess
import sys
import time

import psutil

from bench.stack import worker_settles

# A "worker" whose one extra process (a grown pool slot) exits after a while.
WORKER = "import subprocess, time; subprocess.run(['sleep', '2']); time.sleep(60)"


class _Stack:
    def __init__(self, pid: int):
        self.pid = pid

    def components(self) -> dict[str, list[int]]:
        return {"airflow-worker": [self.pid]}


def _started(code: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 10
    while not psutil.Process(proc.pid).children() and time.monotonic() < deadline:
        time.sleep(0.05)  # until the extra process exists, bounded
    return proc


def _kill_tree(proc: subprocess.Popen) -> None:
    for child in psutil.Process(proc.pid).children(recursive=True):
        child.kill()
    proc.kill()
    proc.wait()


def test_settles_when_the_extra_process_is_gone():
    worker = _started(WORKER)
    try:
        assert len(psutil.Process(worker.pid).children()) == 1
        settled = worker_settles(_Stack(worker.pid), idle_processes=1, timeout=30)
        assert psutil.Process(worker.pid).children() == []
    finally:
        _kill_tree(worker)
    assert settled["worker_settle_s"] is not None and settled["worker_pss_settled_mib"] > 0


def test_a_tree_that_stays_bigger_gives_none():
    worker = _started("import subprocess, time; subprocess.run(['sleep', '60'])")
    try:
        assert worker_settles(_Stack(worker.pid), idle_processes=1, timeout=1) == {
            "worker_settle_s": None, "worker_pss_settled_mib": None}
    finally:
        _kill_tree(worker)
