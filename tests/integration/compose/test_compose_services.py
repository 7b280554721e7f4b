"""Compose only: every service healthy; the worker healthcheck catches a worker that still
answers ping but no longer consumes its queue (apache/airflow#63580); three workers share four
days of events_etl runs and the warehouse is still exact.

None of these needs the stack alone: the worker tests work on two extra workers, started once
for both and drained before they go (ComposeStack.scale_workers), while the first worker serves
everyone else's tasks. One module, so they run in this order on one pytest-xdist worker and the
"every service healthy" check never sees an extra worker starting or made unhealthy on purpose.

Cost: ~2.5 min on 2 shared cores (extra workers start, four runs, the stuck-consumer
check waits for Docker's probes: ~30 s with the suite's fast-healthchecks overlay).
"""
from __future__ import annotations

import pytest

from airkit.stack import line, services
from tests.integration.checks import assert_day_matches_generator
from tests.integration.faults.faultkit import trigger_all, wait_all

pytestmark = [pytest.mark.integration, pytest.mark.compose_only]

LONG_RUNNING = {s.name for s in services.long_running("compose")}
DAG_ID = "events_etl"


def test_every_service_is_running_and_healthy(airflow_stack):
    rows = airflow_stack.ps()
    by_service: dict[str, list[dict]] = {}
    for row in rows:
        by_service.setdefault(row["Service"], []).append(row)

    missing = LONG_RUNNING - by_service.keys()
    assert not missing, f"services without a container: {sorted(missing)}"
    init = by_service.get("airflow-init", [])
    assert init and all(r["State"] == "exited" and r["ExitCode"] == 0 for r in init), init
    # The stack's own services: a profile's (Flower, Prometheus) may be starting for another test.
    not_fine = {r["Name"]: (r["State"], r.get("Health")) for s, rs in by_service.items() if s in LONG_RUNNING
                for r in rs if r["State"] != "running" or r.get("Health") != "healthy"}
    # Every long-running service declares a healthcheck, so "healthy" (not just "running") is required.
    assert not not_fine, f"not running+healthy: {not_fine}\n{airflow_stack.describe()}"


@pytest.fixture(scope="module")
def workers(airflow_stack):
    """Three workers in all (the first is the stack's own), newest last; started once for both
    worker tests (a scale cycle is ~40 s on compose). Scaling back drains them: their tasks,
    other tests' too, finish first."""
    airflow_stack.scale_workers(3)
    try:
        yield airflow_stack.containers("airflow-worker")
    finally:
        airflow_stack.scale_workers(1)


def test_worker_healthcheck_turns_unhealthy_when_the_worker_stops_consuming(airflow_stack, workers):
    index = len(workers)  # the newest: the stack's own keeps serving other tests
    worker = workers[-1]
    node = f"celery@{airflow_stack.compose('exec', '-T', '--index', str(index), 'airflow-worker', 'hostname').stdout.strip()}"
    queue = airflow_stack.values.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE") or "default"
    assert airflow_stack.wait_service_health(worker, "healthy", timeout=300).startswith("OK")

    # The worker keeps answering ping but leaves its queue: exactly the state of apache/airflow#63580.
    cancel = airflow_stack.celery("airflow-worker", "control", "cancel_consumer", queue, "-d", node, index=index)
    assert cancel.returncode == 0 and "no longer consuming" in cancel.stdout, cancel.stdout + cancel.stderr
    ping = airflow_stack.celery("airflow-worker", "inspect", "ping", "-d", node, index=index)
    assert ping.returncode == 0 and "pong" in ping.stdout, "the stuck worker must still answer ping"
    verdict = airflow_stack.wait_service_health(worker, "unhealthy", timeout=300)
    assert "does not consume" in verdict and queue in verdict, verdict

    restore = airflow_stack.celery("airflow-worker", "control", "add_consumer", queue, "-d", node, index=index)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert airflow_stack.wait_service_health(worker, "healthy", timeout=300).startswith("OK")


# Triggered runs, not a backfill: Airflow 3 runs one backfill of a DAG at a time, so a backfill
# here would queue behind (or hold up) the backfill tests of events_etl running meanwhile.
def test_three_workers_share_four_days_of_runs(airflow_stack, workers, unique_logical_date):
    assert len(workers) == 3, workers
    span = unique_logical_date.span(4)
    airflow_stack.api.wait_for_dag(DAG_ID)
    runs = {f"three_workers_{day}": day for day in span}

    trigger_all(airflow_stack, runs)
    states = wait_all(airflow_stack, runs, timeout=1200)
    assert set(states.values()) == {"success"}, {r: airflow_stack.api.report(DAG_ID, r) for r, s in states.items()
                                                 if s != "success"}

    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ti.hostname, count(*) AS n FROM task_instance ti JOIN dag_run dr "
            "ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
            f"WHERE ti.dag_id = %s AND dr.{line.DAG_RUN_DATE_COLUMN}::date = ANY(%s::date[]) AND ti.state = 'success' "
            "GROUP BY ti.hostname",
            (DAG_ID, span),
        )
        per_host = {row["hostname"]: row["n"] for row in cur.fetchall()}
    assert len(per_host) >= 2, f"every task instance ran on one worker: {per_host}"
    with airflow_stack.warehouse() as conn:
        for day in span:
            assert_day_matches_generator(conn, day)
