"""One stack for every pytest-xdist worker of a session, and turns on it.

Under `pytest -n N` each worker is a process with session fixtures of its own. So that N workers
still share one isolated stack:
- the first worker that needs the stack starts it; the others wait on a file lock, then attach
  to it (`started_by` names the session that started it);
- the controller, which runs no tests, stops it once every worker is done;
- a test marked `stack_exclusive` (it kills, restarts or scales a component) takes the stack
  alone: it waits until the tests running elsewhere finish, and none starts until it, and every
  exclusive test queued meanwhile, is done;
- logical dates are claimed from one counter, so two workers never hand out the same day.

A turn covers a test's setup, call and teardown, nothing after: a DAG run a test starts must
end inside that test (or the module fixture that started it), or an exclusive test elsewhere
may kill the worker under it.

Everything is coordinated through `fcntl.flock` on files in a directory all workers see; a
lock dies with its process, so a crashed worker never wedges the others.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

#: workerinput key of the session token the controller hands every worker.
SESSION_KEY = "airkit_session"
EXCLUSIVE_MARK = "stack_exclusive"


def session_token(config: pytest.Config) -> str | None:
    """The session's token in an xdist worker; None in a plain (one-process) session."""
    return getattr(config, "workerinput", {}).get(SESSION_KEY)


@contextlib.contextmanager
def flocked(path: Path, operation: int = fcntl.LOCK_EX) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, operation)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- who started the stack -----------------------------------------------------------------------
def _marker(state: Path) -> Path:
    return state / "started-by-session"


def started_by(state: Path) -> str | None:
    marker = _marker(state)
    return marker.read_text().strip() if marker.exists() else None


def mark_started(state: Path, token: str) -> None:
    _marker(state).write_text(token)


def start_lock(state: Path) -> Path:
    return state / "locks" / "start"


# --- turns on the stack ---------------------------------------------------------------------------
def _queued(locks: Path) -> Path:
    return locks / "exclusive-queued"


def _stack(locks: Path) -> Path:
    return locks / "stack"


class StackTurns:
    """One process's turns on the stack: shared for an ordinary test, alone for an exclusive one.

    An exclusive test first announces itself (a shared lock on `exclusive-queued`, which every
    queued or running exclusive test holds), then waits for the running tests to finish. A shared
    test starts only when no exclusive test is announced, so the stack drains once for all the
    exclusive tests queued at that moment, not once per test (plain flock would let shared tests
    overlap forever and starve them). When the next test of this process is exclusive too, the
    turn is kept across, so no shared test slips in between them."""

    def __init__(self, locks: Path):
        self.locks = locks
        self._alone: contextlib.ExitStack | None = None

    @contextlib.contextmanager
    def turn(self, exclusive: bool, next_exclusive: bool = False) -> Iterator[None]:
        if not exclusive:
            self.release()
            with flocked(_queued(self.locks), fcntl.LOCK_EX):
                pass  # wait until no exclusive test is queued or running
            with flocked(_stack(self.locks), fcntl.LOCK_SH):
                yield
            return
        if self._alone is None:
            alone = contextlib.ExitStack()
            alone.enter_context(flocked(_queued(self.locks), fcntl.LOCK_SH))
            alone.enter_context(flocked(_stack(self.locks), fcntl.LOCK_EX))
            self._alone = alone
        try:
            yield
        finally:
            if not next_exclusive:
                self.release()

    def release(self) -> None:
        if self._alone is not None:
            self._alone.close()
            self._alone = None


# --- logical dates --------------------------------------------------------------------------------
class DateCounter:
    """Hands out blocks of consecutive dates from `first` on; with a `path`, the counter lives in
    that file (under a lock) and is shared by every process that names it."""

    def __init__(self, first: dt.date, path: Path | None = None):
        self.first = first
        self.path = path
        self._next = first

    def claim(self, days: int) -> dt.date:
        if self.path is None:
            start, self._next = self._next, self._next + dt.timedelta(days=days)
            return start
        with flocked(self.path.with_suffix(".lock")):
            start = (dt.date.fromisoformat(json.loads(self.path.read_text())["next"])
                     if self.path.exists() else self.first)
            self.path.write_text(json.dumps({"next": (start + dt.timedelta(days=days)).isoformat()}))
            return start
