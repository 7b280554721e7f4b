"""Helpers for the fault and bad-input suites: hitting a task mid-flight, and reference data.

Catching a task "mid-task" by polling alone is a race: load_events and calculate_stats run for
a second or two. Instead the test holds a SHARE lock on the table the task writes. The task
runs normally (reads the landing file, opens its transaction, COPYs into its staging table)
and then blocks on its INSERT/DELETE, which needs ROW EXCLUSIVE. So the fault hits a task that
is really running, with an open transaction and uncommitted work, for as long as the test
wants. SHARE does not conflict with readers or with create_tables' CREATE INDEX IF NOT EXISTS,
so nothing else in the DAG waits. The lesson DAG is not changed for the test. A test that
shares the stack holds only its own day's rows instead (day_held): their DELETE waits the same
way, and every other day's writers pass.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time

import psycopg2
import pytest
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.events.generator import expected_daily_stats, expected_events
from airkit.stack import project
from tests.integration.checks import assert_day_matches_generator, warehouse_fingerprint

DAG_ID = "events_etl"
TABLES = ("events", "daily_stats")
CREATE_TABLES = project.root() / "include" / "sql" / "events_etl" / "create_tables.sql"


def ensure_tables(stack) -> None:
    """The DAG's own create_tables SQL (safe to repeat): a test that seeds or locks the tables
    may be the first on the stack to touch them, before any events_etl run made them."""
    with stack.warehouse() as conn, conn.cursor() as cur:
        cur.execute(CREATE_TABLES.read_text())


# --- holding a task mid-flight -------------------------------------------------------------
@contextlib.contextmanager
def _holding(stack, statement: str, params: tuple = ()):
    """A warehouse transaction that took its locks with `statement`, open until the block ends
    (or the server goes away); the block gets the connection, to find who waits on it."""
    ensure_tables(stack)
    conn = stack.warehouse()
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
        yield conn
    finally:
        with contextlib.suppress(psycopg2.Error):
            conn.rollback()
        with contextlib.suppress(psycopg2.Error):
            conn.close()


def table_held(stack, table: str):
    """Hold a SHARE lock on `table`. Every writer of the table waits meanwhile, other tests'
    runs too: only for stack_exclusive tests."""
    return _holding(stack, f"LOCK TABLE {table} IN SHARE MODE")  # noqa: S608 - table from TABLES


def day_held(stack, table: str, day: str):
    """Hold the rows of one day of `table` (FOR UPDATE): only writers of that day wait, so a test
    that holds a day of its own shares the stack. The day needs rows to lock (seed_days)."""
    return _holding(stack, f"SELECT 1 FROM {table} WHERE day = %s FOR UPDATE", (day,))  # noqa: S608


def blocked_writers(stack, table: str) -> list[str]:
    """Queries of sessions waiting for a lock on `table` in the warehouse."""
    with stack.warehouse() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND l.relation = %s::regclass",
            (table,),
        )
        return [r["query"] for r in cur.fetchall()]


def waiting_on(stack, holder) -> int:
    """How many sessions wait for a lock the `holder` connection holds (table or row locks)."""
    with stack.warehouse() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                    (holder.get_backend_pid(),))
        return cur.fetchone()["n"]


def wait_until_blocked(stack, run_id: str, task_id: str, holder, timeout: float = 240) -> float:
    """Until `task_id` of the run is `running` and a write waits for the `holder`'s lock.
    Returns the seconds it took."""
    started = time.monotonic()

    def state() -> tuple[str | None, int]:
        ti = stack.api.task_instances(DAG_ID, run_id).get(task_id, {})
        if ti.get("state") in ("failed", "upstream_failed", "success"):
            raise AssertionError(f"{task_id} ended {ti['state']} before the fault\n{stack.api.report(DAG_ID, run_id)}")
        return ti.get("state"), waiting_on(stack, holder) if ti.get("state") == "running" else 0

    try:
        Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(1),
                 retry=retry_if_result(lambda s: s[0] != "running" or s[1] == 0))(state)
    except Exception as exc:  # tenacity.RetryError
        if isinstance(exc, AssertionError):
            raise
        raise AssertionError(f"{task_id} never blocked on the held lock within {timeout:.0f}s\n"
                             + stack.api.report(DAG_ID, run_id)) from None
    return time.monotonic() - started


# --- killing a whole service, like `docker kill` -----------------------------------------------
def kill_hard(stack, service: str) -> None:
    """SIGKILL a service with everything it started (both runtimes' Stack.kill do that)."""
    stack.kill(service)


def worker_consuming(stack, timeout: float = 120) -> str:
    """'healthy' once a worker is subscribed to its queue (not merely answering ping), else the
    last verdict after `timeout`: one probe may miss a busy worker's reply, as Docker's retries
    allow on compose."""
    if stack.runtime == "local":
        return Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2),
                        retry=retry_if_result(lambda verdict: verdict != "healthy"),
                        retry_error_callback=lambda state: state.outcome.result(),
                        )(lambda: stack.health()["airflow-worker"])
    names = stack.containers("airflow-worker")
    if not names:
        return "no worker container running"
    stack.wait_service_health(names[0], "healthy", timeout=300)
    return "healthy"


# --- reference data ----------------------------------------------------------------------------
def delete_days(stack, days: list[str]) -> None:
    ensure_tables(stack)
    with stack.warehouse() as conn, conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"DELETE FROM {table} WHERE day = ANY(%s::date[])", (days,))  # noqa: S608


def seed_days(stack, days: list[str]) -> None:
    """Write what a correct load of each day leaves (the generator's truth), replacing the day."""
    delete_days(stack, days)
    with stack.warehouse() as conn, conn.cursor() as cur:
        for day in days:
            for table, rows in (("events", expected_events(day)), ("daily_stats", expected_daily_stats(day))):
                cols = list(rows[0])
                cur.executemany(
                    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",  # noqa: S608
                    [tuple(r[c] for c in cols) for r in rows],
                )


def delete_runs(stack, days: list[str]) -> None:
    """Remove every events_etl run of these logical dates (backfill runs included)."""
    # Until the DAG is parsed, its runs endpoint is a 404, not an empty list; this can be the
    # session's first call, moments after the stack became healthy.
    stack.api.wait_for_dag(DAG_ID)
    for day in days:
        start = f"{day}T00:00:00+00:00"
        runs = stack.api.call("GET", f"/dags/{DAG_ID}/dagRuns",
                              params={"execution_date_gte": start, "execution_date_lte": start})["dag_runs"]
        for run in runs:
            stack.api.call("DELETE", f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")


def trigger_all(stack, runs: dict[str, str]) -> None:
    """Trigger {run_id: day} at once (they queue behind max_active_runs), replacing any
    earlier run of those days: a logical date has one run per DAG."""
    delete_runs(stack, list(runs.values()))
    for run_id, day in runs.items():
        stack.api.trigger(DAG_ID, day, run_id)


def wait_all(stack, run_ids, timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    return {run_id: stack.api.wait_for_run(DAG_ID, run_id, timeout=max(deadline - time.monotonic(), 5), expect=None)
            for run_id in run_ids}


FAULTS = ("worker_kill", "scheduler_restart", "postgres_restart", "redis_restart")


@pytest.fixture(scope="module")
def fault_days(unique_logical_date) -> dict[str, str]:
    """Fault name -> the logical date its test runs (no other test uses it)."""
    return {fault: unique_logical_date() for fault in FAULTS}


@pytest.fixture(scope="module")
def clean_reference(airflow_stack, fault_days):
    """Checksums of a clean run of every fault day; then the days are deleted again, so each
    fault test must load its day from nothing (a lost row cannot hide behind an old one)."""
    stack = airflow_stack
    days = list(fault_days.values())
    runs = {f"fault_clean_{day}": day for day in days}
    trigger_all(stack, runs)
    states = wait_all(stack, runs, timeout=600)
    bad = {r: s for r, s in states.items() if s != "success"}
    assert not bad, f"clean reference runs failed: {bad}\n" + "\n".join(stack.api.report(DAG_ID, r) for r in bad)
    with stack.warehouse() as conn:
        reference = {day: warehouse_fingerprint(conn, [day]) for day in days}
        for day in days:
            assert_day_matches_generator(conn, day)
    delete_days(stack, days)
    return reference


def next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
