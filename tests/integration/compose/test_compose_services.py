"""Compose only: every service healthy, and the worker healthcheck catches a worker that still
answers ping but no longer consumes its queue (apache/airflow#63580).

Cost: ~1-2 min (the stuck-consumer check waits for Docker's probes; the suite's fast-healthchecks
overlay makes that ~30 s).
"""
from __future__ import annotations

import pytest

from airkit.stack import services

pytestmark = [pytest.mark.integration, pytest.mark.compose_only]

LONG_RUNNING = {s.name for s in services.long_running("compose")}


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


@pytest.mark.stack_exclusive
def test_worker_healthcheck_turns_unhealthy_when_the_worker_stops_consuming(airflow_stack):
    worker = airflow_stack.containers("airflow-worker")[0]
    node = f"celery@{airflow_stack.compose('exec', '-T', 'airflow-worker', 'hostname').stdout.strip()}"
    queue = airflow_stack.values.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE") or "default"
    assert airflow_stack.wait_service_health(worker, "healthy", timeout=300).startswith("OK")

    # The worker keeps answering ping but leaves its queue: exactly the state of apache/airflow#63580.
    cancel = airflow_stack.celery("airflow-worker", "control", "cancel_consumer", queue, "-d", node)
    assert cancel.returncode == 0 and "no longer consuming" in cancel.stdout, cancel.stdout + cancel.stderr
    try:
        ping = airflow_stack.celery("airflow-worker", "inspect", "ping", "-d", node)
        assert ping.returncode == 0 and "pong" in ping.stdout, "the stuck worker must still answer ping"
        verdict = airflow_stack.wait_service_health(worker, "unhealthy", timeout=300)
        assert "does not consume" in verdict and queue in verdict, verdict
    finally:
        restore = airflow_stack.celery("airflow-worker", "control", "add_consumer", queue, "-d", node)
        if restore.returncode != 0:
            airflow_stack.restart("airflow-worker")
    assert airflow_stack.wait_service_health(worker, "healthy", timeout=300).startswith("OK")
