"""Parts of the stack die mid-run; the run still ends green with exactly the clean run's data.

Each test: the day's rows are gone (see clean_reference), a run starts, the task named below is
caught mid-write (faultkit.table_held), the fault is injected, the hold is released, and the run
must end `success` with the warehouse checksums of a clean run of the same day: zero lost, zero
duplicated. A fault test has the stack to itself (stack_exclusive): a killed worker or a
restarted database would otherwise fail whatever else was running.
"""
from __future__ import annotations

import threading
import time

import pytest

from airkit.stack import workerhealth
from tests.integration.checks import assert_day_matches_generator, warehouse_fingerprint
from tests.integration.faults.faultkit import (
    DAG_ID, blocked_writers, delete_days, delete_runs, kill_hard, table_held, trigger_all,
    wait_until_blocked, worker_consuming,
)

pytestmark = pytest.mark.integration


def test_the_clean_reference_is_a_complete_load_of_each_fault_day(clean_reference, fault_days):
    """The fixture checked each clean run against the generator. Asked for here, by a test that
    shares the stack, so its runs do not take the exclusive tests' time alone."""
    assert set(clean_reference) == set(fault_days.values())


def run_with_fault(airflow_stack, clean_reference, fault_days, name: str, task_id: str, table: str,
                   inject) -> dict:
    day = fault_days[name]
    run_id = f"fault_{name}_{day}"
    timings = {}
    with table_held(airflow_stack, table) as hold:
        trigger_all(airflow_stack, {run_id: day})
        wait_until_blocked(airflow_stack, run_id, task_id, hold)
        started = time.monotonic()
        inject()
        timings["inject"] = time.monotonic() - started
    airflow_stack.api.wait_for_run(DAG_ID, run_id, timeout=600)
    timings["recovered"] = time.monotonic() - started
    with airflow_stack.warehouse() as conn:
        assert warehouse_fingerprint(conn, [day]) == clean_reference[day], f"{day} differs from the clean run"
        assert_day_matches_generator(conn, day)
    print(f"{name}: fault injected in {timings['inject']:.0f}s, run green {timings['recovered']:.0f}s after the fault")
    return airflow_stack.api.task_instances(DAG_ID, run_id)


@pytest.mark.stack_exclusive
def test_worker_sigkilled_mid_load(airflow_stack, clean_reference, fault_days):
    def inject():
        kill_hard(airflow_stack, "airflow-worker")
        airflow_stack.start_service("airflow-worker")

    tis = run_with_fault(airflow_stack, clean_reference, fault_days, "worker_kill", "load_events", "events", inject)
    # The killed try was failed by zombie detection and a retry loaded the day.
    assert tis["load_events"]["try_number"] >= 2, tis["load_events"]


@pytest.mark.stack_exclusive
def test_scheduler_restarted_mid_stats(airflow_stack, clean_reference, fault_days):
    run_with_fault(airflow_stack, clean_reference, fault_days, "scheduler_restart", "calculate_stats", "daily_stats",
                   lambda: airflow_stack.restart("airflow-scheduler"))


@pytest.mark.stack_exclusive
def test_postgres_restarted_mid_load(airflow_stack, clean_reference, fault_days):
    run_with_fault(airflow_stack, clean_reference, fault_days, "postgres_restart", "load_events", "events",
                   lambda: airflow_stack.restart("postgres"))


@pytest.mark.stack_exclusive
def test_redis_restarted_mid_stats(airflow_stack, clean_reference, fault_days):
    run_with_fault(airflow_stack, clean_reference, fault_days, "redis_restart", "calculate_stats", "daily_stats",
                   lambda: airflow_stack.restart("redis"))
    # send_stats was queued after the restart, so the run itself proves consumption; the
    # healthcheck must agree (apache/airflow#63580: a worker can ping without consuming).
    assert worker_consuming(airflow_stack) == "healthy"
    # One task at a time is consumption too. After a reconnect Celery may cut a worker's
    # prefetch to the slots it had then, and an autoscaling pool that later shrank to one slot
    # never grows again: a CI run hung on exactly that (celery/celery#7515).
    short = workerhealth.prefetch_shortfalls(airflow_stack.endpoints.broker_url)  # its URL holds the password
    assert not short, short


def test_two_concurrent_backfills_of_one_range(airflow_stack, unique_logical_date):
    week = unique_logical_date.span(3)
    airflow_stack.api.wait_for_dag(DAG_ID)
    delete_runs(airflow_stack, week)
    delete_days(airflow_stack, week)
    results = {}

    def backfill(name: str) -> None:
        results[name] = airflow_stack.backfill(DAG_ID, week[0], week[-1], timeout=900)

    threads = [threading.Thread(target=backfill, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcome = {n: (r.returncode, (r.stdout + r.stderr)[-1500:]) for n, r in results.items()}
    if not any(code == 0 for code, _ in outcome.values()):
        # Racing on the same task instances, Airflow 2.11's backfill jobs may both give up (a lock
        # error in one, "deadlocked" tasks in the other: seen on compose); Airflow 3 refuses a
        # second backfill of a DAG while one runs. What the tasks must guarantee is that the race
        # did no harm: a backfill afterwards completes the range.
        rerun = airflow_stack.backfill(DAG_ID, week[0], week[-1], timeout=900)
        assert rerun.returncode == 0, f"both backfills failed and so did a rerun: {outcome}\n{rerun.stderr[-3000:]}"
    with airflow_stack.warehouse() as conn:
        for day in week:
            assert_day_matches_generator(conn, day)
    assert not blocked_writers(airflow_stack, "events")
    print("backfill return codes:", {n: c for n, (c, _) in outcome.items()})
