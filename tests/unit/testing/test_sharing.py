"""How pytest-xdist workers share one stack: the date counter, turns, and the marker end to end.

No stack starts here: a stand-in `airflow_stack` fixture is enough for the turns, which are
taken by the plugin around every test that uses one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import multiprocessing
import os
import threading
from pathlib import Path

from airkit.testing.sharing import DateCounter, StackTurns

pytest_plugins = ["pytester"]
FIRST = dt.date(2024, 2, 1)


def _claim_many(path: str, n: int, out) -> None:
    counter = DateCounter(FIRST, Path(path))
    out.put([counter.claim(1).isoformat() for _ in range(n)])


def test_processes_sharing_a_counter_file_never_get_the_same_date(tmp_path):
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_claim_many, args=(str(tmp_path / "dates.json"), 25, out))
             for _ in range(4)]
    for p in procs:
        p.start()
    claimed = [day for _ in procs for day in out.get(timeout=60)]
    for p in procs:
        p.join(timeout=60)
    assert len(claimed) == len(set(claimed)) == 100
    assert min(claimed) == FIRST.isoformat()
    assert max(claimed) == (FIRST + dt.timedelta(days=99)).isoformat()


def test_a_span_is_a_block_of_consecutive_days():
    counter = DateCounter(FIRST)
    assert counter.claim(3) == FIRST
    assert counter.claim(1) == FIRST + dt.timedelta(days=3)


def test_a_queued_exclusive_turn_goes_before_later_shared_ones(tmp_path):
    order: list[str] = []
    first_in, exclusive_queued, release_first = threading.Event(), threading.Event(), threading.Event()

    def shared(name: str, hold: threading.Event | None = None) -> None:
        with StackTurns(tmp_path).turn(exclusive=False):
            order.append(f"{name} in")
            if hold:
                first_in.set()
                hold.wait(timeout=30)
            order.append(f"{name} out")

    def exclusive() -> None:
        exclusive_queued.set()
        with StackTurns(tmp_path).turn(exclusive=True):
            order.append("exclusive in")
            order.append("exclusive out")

    threads = [threading.Thread(target=shared, args=("first", release_first))]
    threads[0].start()
    assert first_in.wait(timeout=30)
    threads.append(threading.Thread(target=exclusive))
    threads[1].start()
    assert exclusive_queued.wait(timeout=30)
    # The exclusive thread now waits for "first"; let it announce itself before "second" asks.
    _until(lambda: _held(tmp_path / "exclusive-queued", fcntl.LOCK_EX))
    threads.append(threading.Thread(target=shared, args=("second",)))
    threads[2].start()
    release_first.set()
    for t in threads:
        t.join(timeout=30)
    assert order == ["first in", "first out", "exclusive in", "exclusive out", "second in", "second out"]


def test_consecutive_exclusive_turns_keep_the_stack_between_them(tmp_path):
    turns, order = StackTurns(tmp_path), []
    waiting = threading.Thread(target=_shared_turn, args=(tmp_path, order))
    with turns.turn(exclusive=True, next_exclusive=True):
        waiting.start()
        order.append("exclusive 1")
    # Between the two, the stack is still ours: a shared turn cannot even be had for an instant.
    assert _held(tmp_path / "stack", fcntl.LOCK_SH)
    with turns.turn(exclusive=True):
        order.append("exclusive 2")
    waiting.join(timeout=30)
    assert order == ["exclusive 1", "exclusive 2", "shared"]
    assert not _held(tmp_path / "stack", fcntl.LOCK_EX)


def test_two_processes_exclusive_tests_run_one_at_a_time_and_drain_the_stack_once(tmp_path):
    order: list[str] = []
    shared_in, release_shared = threading.Event(), threading.Event()

    def long_shared() -> None:
        with StackTurns(tmp_path).turn(exclusive=False):
            shared_in.set()
            release_shared.wait(timeout=30)
            order.append("long shared out")

    def exclusive(name: str) -> None:
        with StackTurns(tmp_path).turn(exclusive=True):
            order.append(f"{name} in")
            order.append(f"{name} out")

    threads = [threading.Thread(target=long_shared)]
    threads[0].start()
    assert shared_in.wait(timeout=30)
    threads += [threading.Thread(target=exclusive, args=(n,)) for n in ("a", "b")]
    for t in threads[1:]:
        t.start()
    _until(lambda: _holders(tmp_path / "exclusive-queued") == 2)
    threads.append(threading.Thread(target=_shared_turn, args=(tmp_path, order)))
    threads[-1].start()
    release_shared.set()
    for t in threads:
        t.join(timeout=30)
    assert order[0] == "long shared out" and order[-1] == "shared"
    assert sorted(order[1:5]) == ["a in", "a out", "b in", "b out"]
    assert order[1][0] == order[2][0], f"the exclusive turns overlapped: {order}"


def _shared_turn(locks: Path, order: list[str]) -> None:
    with StackTurns(locks).turn(exclusive=False):
        order.append("shared")


def _held(path: Path, operation: int) -> bool:
    """Whether `operation` (LOCK_SH or LOCK_EX) on `path` would have to wait."""
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def _holders(path: Path) -> int:
    """How many shared flocks are held (not waited for) on `path`, from /proc/locks."""
    st = path.stat()
    file_id = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return sum(1 for fields in map(str.split, Path("/proc/locks").read_text().splitlines())
               if fields[1:2] == ["FLOCK"] and fields[3] == "READ" and fields[5] == file_id)


def _until(condition, timeout: float = 30) -> None:
    from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

    Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(0.05), retry=retry_if_result(lambda ok: not ok),
             reraise=True)(condition)


WORKLOAD = """
import json, os, time
import pytest

def _record(name):
    started = time.monotonic()
    time.sleep(0.3)  # a test's work: long enough for another worker's test to overlap it
    with open(os.environ["TURNS_LOG"], "a") as log:
        log.write(json.dumps([name, started, time.monotonic()]) + "\\n")
"""


def test_under_xdist_an_exclusive_test_overlaps_no_other_test(pytester, monkeypatch, tmp_path):
    log = tmp_path / "turns.jsonl"
    monkeypatch.setenv("TURNS_LOG", str(log))
    monkeypatch.setenv("AIRKIT_TEST_STATE", str(tmp_path / "state"))
    pytester.makeconftest("""
        import pytest

        @pytest.fixture(scope="session")
        def airflow_stack():
            return "a stand-in: turns are taken around every test that uses the stack"
    """)
    for module in ("a", "b", "c"):
        body = WORKLOAD + "".join(
            f"\ndef test_{module}{i}(airflow_stack):\n    _record('{module}{i}')\n" for i in range(4))
        pytester.makepyfile(**{f"test_{module}": body})
    pytester.makepyfile(test_x=WORKLOAD + """
@pytest.mark.stack_exclusive
def test_exclusive(airflow_stack):
    _record("exclusive")
""")
    result = pytester.runpytest_subprocess("-n", "3", "--dist", "loadscope", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=13)
    turns = [json.loads(line) for line in log.read_text().splitlines()]
    (_, start, end), = [t for t in turns if t[0] == "exclusive"]
    overlapping = [name for name, s, e in turns if name != "exclusive" and s < end and e > start]
    assert not overlapping, f"ran during the exclusive test: {overlapping}"
    shared_overlap = any(s1 < e2 and s2 < e1 for i, (n1, s1, e1) in enumerate(turns)
                         for n2, s2, e2 in turns[i + 1:] if "exclusive" not in (n1, n2))
    assert shared_overlap, "ordinary tests never ran at the same time: the workers did not share"
