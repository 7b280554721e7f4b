"""The Stack interface: one live Airflow stack, whichever runtime runs it.

`make`, `make demo`, the pytest plugin and `make bench` use only this interface. Clients reach
a stack the way a person on this machine does: the REST API, the warehouse over TCP, the
Airflow CLI inside the stack, service logs, and files in the landing folder.
"""
from __future__ import annotations

import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cached_property
from pathlib import Path, PurePosixPath

from airkit.stack import envfile, line, services
from airkit.stack.api import AirflowAPI
from airkit.stack.errors import StackError
from airkit.stack.settings import Endpoints


class Stack(ABC):
    runtime: str

    def __init__(self, env_file: Path):
        self.env_file = Path(env_file).resolve()
        if not self.env_file.exists():
            raise StackError(f"{self.env_file} does not exist: run `make env` (or `make up`) first.")
        self.values = envfile.parse(self.env_file)
        self.endpoints = Endpoints(self.values)

    # --- lifecycle, per runtime --------------------------------------------------------------
    @abstractmethod
    def start(self, timeout: float = 600) -> None:
        """Start every component and wait (bounded, with progress) until all are healthy."""

    @abstractmethod
    def stop(self, remove_state: bool = False) -> None:
        """Stop every component; with `remove_state` also delete databases, logs and data."""

    @abstractmethod
    def health(self) -> dict[str, str]:
        """Service -> "healthy" or the reason it is not."""

    @abstractmethod
    def status(self) -> int:
        """Print each service's state and health; 0 when all are healthy."""

    @abstractmethod
    def logs(self, service: str, lines: int = 80) -> str: ...

    @abstractmethod
    def kill(self, service: str) -> None:
        """SIGKILL a service with everything it started, like `docker kill`. supervisord restarts
        it by itself, Docker does not: call start_service()."""

    @abstractmethod
    def restart(self, service: str, timeout: float = 300) -> None:
        """Restart a service and wait (bounded) until the stack is healthy again."""

    @abstractmethod
    def start_service(self, service: str, timeout: float = 300) -> None:
        """Make sure a (stopped or killed) service runs, and wait until the stack is healthy."""

    @abstractmethod
    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """The Airflow CLI inside the stack (check the return code yourself)."""

    @abstractmethod
    def write_data_file(self, relpath: str, text: str) -> None:
        """A file in the landing folder every worker reads (AIRKIT_DATA_DIR)."""

    @abstractmethod
    def read_data_file(self, relpath: str) -> str: ...

    @property
    @abstractmethod
    def dags_folder(self) -> Path:
        """The host folder the stack's DAG processor reads."""

    def make_env(self) -> dict[str, str]:
        """Environment under which `make <target>` acts on this stack."""
        return {"ENV_FILE": str(self.env_file), "RUNTIME": self.runtime, "AIRKIT_DAGS_DIR": str(self.dags_folder)}

    # --- shared ------------------------------------------------------------------------------
    def backfill(self, dag_id: str, start: str, end: str, *, rerun: bool = False,
                 timeout: float = 900) -> subprocess.CompletedProcess:
        """Run `dag_id` for every day of [start, end] (YYYY-MM-DD) and return once all runs have
        finished; exit code 0 only if every run succeeded. `rerun`: days that already ran run again.

        Airflow 2's `dags backfill` runs the days itself and blocks. Airflow 3's `backfill create`
        only asks the scheduler for the runs and returns, so the wait here polls the backfill;
        there the DAG is unpaused first (the scheduler runs nothing of a paused DAG)."""
        if line.MAJOR < 3:
            again = ("--reset-dagruns", "--yes") if rerun else ()
            return self.airflow("dags", "backfill", "-s", start, "-e", end, *again, dag_id, timeout=timeout)
        started = time.monotonic()
        # Airflow 3's scheduler starts no run of a paused DAG, backfill runs included (2's
        # backfill job ran them itself): the DAG is unpaused, as a backfill means to run it.
        self.api.unpause(dag_id)
        result = self._create_backfill(dag_id, start, end, rerun, started + timeout)
        if result.returncode != 0:
            return result
        failed = self._wait_for_backfill(dag_id, start, end, timeout - (time.monotonic() - started))
        return subprocess.CompletedProcess(result.args, 1 if failed else 0, result.stdout,
                                           result.stderr + (f"\nruns not successful: {failed}" if failed else ""))

    def _create_backfill(self, dag_id: str, start: str, end: str, rerun: bool,
                         deadline: float) -> subprocess.CompletedProcess:
        """`airflow backfill create`; while another backfill of the DAG runs, wait for it first:
        Airflow 3 runs one backfill per DAG at a time (2 ran them side by side)."""
        while True:
            result = self.airflow("backfill", "create", "--dag-id", dag_id, "--from-date", start, "--to-date", end,
                                  "--reprocess-behavior", "completed" if rerun else "none",
                                  timeout=max(deadline - time.monotonic(), 1))
            busy = result.returncode != 0 and "AlreadyRunningBackfill" in result.stderr
            if not busy or time.monotonic() > deadline:
                return result
            self._wait_for_backfill(dag_id, start, end, deadline - time.monotonic())

    def _wait_for_backfill(self, dag_id: str, start: str, end: str, timeout: float) -> dict[str, str]:
        """Poll (bounded) until the DAG's newest backfill has completed; its runs that did not succeed."""
        from tenacity import (
            RetryError,
            Retrying,
            retry_if_result,
            stop_after_delay,
            wait_fixed,
        )

        def newest() -> dict:
            found = self.api.call("GET", "/backfills", params={"dag_id": dag_id, "limit": 100})["backfills"]
            return max(found, key=lambda backfill: backfill["id"])

        try:
            Retrying(stop=stop_after_delay(max(timeout, 1)), wait=wait_fixed(2),
                     retry=retry_if_result(lambda backfill: not backfill["completed_at"]))(newest)
        except RetryError:  # still running at the deadline
            raise StackError(f"backfill of {dag_id} {start}..{end} not complete after {timeout:.0f}s") from None
        runs = self.api.call("GET", f"/dags/{dag_id}/dagRuns", params={
            "logical_date_gte": f"{start}T00:00:00Z", "logical_date_lte": f"{end}T00:00:00Z", "limit": 1000})
        return {run["dag_run_id"]: run["state"] for run in runs["dag_runs"] if run["state"] != "success"}

    @property
    def host(self) -> str:
        return self.endpoints.host

    @cached_property
    def api(self) -> AirflowAPI:
        return AirflowAPI(self.endpoints.api, self.endpoints.admin)

    @property
    def events_url(self) -> str:
        return self.endpoints.url("EVENTS_API_PORT")

    def warehouse(self):
        """A connection to the warehouse database; rows come back as dicts."""
        import psycopg2
        import psycopg2.extras

        return psycopg2.connect(self.endpoints.warehouse_dsn,
                                cursor_factory=psycopg2.extras.RealDictCursor)

    def metadata_db(self):
        import psycopg2
        import psycopg2.extras

        return psycopg2.connect(self.endpoints.metadata_dsn,
                                cursor_factory=psycopg2.extras.RealDictCursor)

    #: Seconds between two health polls while waiting.
    poll_interval = 1.0

    def failed(self, pending: dict[str, str]) -> dict[str, str]:
        """Of the pending services, those that will not become healthy by waiting (default: none)."""
        return {}

    def wait_healthy(self, timeout: float, say: Callable[[str], None] = print) -> None:
        """Poll health() until every service is healthy; one progress line per change; on timeout,
        or as soon as a service has failed, a StackError with the pending services' last log lines."""
        started = time.monotonic()
        last = None
        while True:
            pending = {k: v for k, v in self.health().items() if v != "healthy"}
            if not pending:
                return
            line = ", ".join(f"{k}: {v}" for k, v in sorted(pending.items()))
            if line != last:
                say(f"[{time.monotonic() - started:5.0f}s] waiting for {line}")
                last = line
            if self.failed(pending) or time.monotonic() - started > max(timeout, 1):
                what = "has failed" if self.failed(pending) else f"not healthy after {timeout:.0f}s"
                raise StackError(f"{self.runtime} stack {what}: {line}\n" + self.describe(pending))
            time.sleep(self.poll_interval)

    def describe(self, pending: dict[str, str] | None = None, lines: int = 40) -> str:
        """The last log lines of each pending (default: each unhealthy) service."""
        if pending is None:
            try:
                pending = {k: v for k, v in self.health().items() if v != "healthy"}
            except Exception as exc:  # noqa: BLE001 - a report must never hide the real failure
                return f"(could not judge health: {exc})"
        if not pending:
            return "every service healthy"
        return "\n".join(f"--- {name}: {state}; last log lines ---\n{self.logs(name, lines)}"
                         for name, state in pending.items() if name in services.BY_NAME)


def data_relpath(relpath: str) -> PurePosixPath:
    """A landing-folder path, refused when it would leave the folder."""
    rel = PurePosixPath(relpath)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"data file paths are relative to the data dir and stay inside it: {relpath!r}")
    return rel
