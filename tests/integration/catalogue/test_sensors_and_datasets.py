"""Sensors and data-aware scheduling on the live stack.

One events_etl run (day "produced") serves the ExternalTaskSensor success path and the Dataset
consumer; the sensor timeout run is for a day "never produced" (no test runs events_etl for a
date unique_logical_date handed out). Every run starts and ends inside one test: a run left in
flight between tests could be hit by another worker's stack_exclusive fault test (a killed
worker turns a sensor's clean timeout into a retry).
"""
from __future__ import annotations

import pytest

from airkit.stack import line

from tests.integration.catalogue.lessons import wait_for_task_state

pytestmark = pytest.mark.integration

SENSORS = "wait_for_events_etl"
CONSUMER = "daily_stats_consumer"
UNPAUSES = (SENSORS, CONSUMER, "partner_file_sensor")  # paused again afterwards (conftest.py)


@pytest.fixture(scope="module")
def produced(unique_logical_date) -> str:
    return unique_logical_date()


@pytest.fixture
def timeout_run(airflow_stack, unique_logical_date):
    """A sensor run for a day events_etl never ran: both sensors must wait, then time out."""
    never_produced = unique_logical_date()
    run_id = f"it_sensor_timeout_{never_produced}"
    airflow_stack.api.trigger(SENSORS, never_produced, run_id)
    # Seen while waiting: neither sensor holds a worker slot between checks.
    waiting = {
        "wait_rescheduled": wait_for_task_state(airflow_stack, SENSORS, run_id, "wait_rescheduled", {"up_for_reschedule"}),
        "wait_deferred": wait_for_task_state(airflow_stack, SENSORS, run_id, "wait_deferred", {"deferred"}),
    }
    return run_id, waiting


@pytest.fixture(scope="module")
def producer_run(airflow_stack, produced):
    """A successful events_etl run, with the Dataset consumer unpaused before it."""
    airflow_stack.api.unpause(CONSUMER)
    run_id = f"it_producer_{produced}"
    airflow_stack.api.trigger("events_etl", produced, run_id)
    airflow_stack.api.wait_for_run("events_etl", run_id, timeout=420)
    return run_id


def test_dataset_event_creates_a_consumer_run(airflow_stack, producer_run, produced):
    api = airflow_stack.api

    def covering_run() -> dict | None:
        # Successful runs, newest started first: asset-triggered runs of Airflow 3 have no logical
        # date to order by, queued runs (no start date yet) would sort first, and the 2.x
        # scheduler may fold several producers' events into one run.
        runs = api.call("GET", f"/dags/{CONSUMER}/dagRuns",
                        params={"order_by": "-start_date", "state": "success", "limit": 50})
        for run in runs["dag_runs"]:
            if run["run_type"] not in ("dataset_triggered", "asset_triggered"):  # Airflow 2.x, 3.x
                continue
            covered = api.xcom(CONSUMER, run["dag_run_id"], "covered_days")
            if any(c["run_id"] == producer_run for c in covered):
                return {"run": run, "covered": covered}
        return None

    from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

    found = Retrying(stop=stop_after_delay(240), wait=wait_fixed(3), retry=retry_if_result(lambda r: r is None),
                     retry_error_callback=lambda state: None)(covering_run)
    assert found, f"no successful dataset/asset-triggered run of {CONSUMER} covers {producer_run}"
    mine = [c for c in found["covered"] if c["run_id"] == producer_run]
    assert mine[0]["dag_id"] == "events_etl" and mine[0]["day"] == produced, found
    assert mine[0]["uri"].endswith("/public/daily_stats"), found


def test_external_task_sensors_pass_once_the_upstream_day_is_done(run_dag, producer_run, produced):
    tis = run_dag(SENSORS, produced).task_instances
    assert {t: ti["state"] for t, ti in tis.items()} == dict.fromkeys(
        ["wait_rescheduled", "wait_deferred", "report"], "success")


def test_external_task_sensors_time_out_without_retries(airflow_stack, timeout_run):
    run_id, waiting = timeout_run
    assert waiting == {"wait_rescheduled": "up_for_reschedule", "wait_deferred": "deferred"}
    # timeout is 45 s; both sensors fail then, once, and the run fails with them.
    airflow_stack.api.wait_for_run(SENSORS, run_id, timeout=360, expect="failed")
    tis = airflow_stack.api.task_instances(SENSORS, run_id)
    for task_id in ("wait_rescheduled", "wait_deferred"):
        ti = tis[task_id]
        assert ti["state"] == "failed", airflow_stack.api.report(SENSORS, run_id)
        assert ti["try_number"] == 1, f"{task_id}: a sensor timeout must not be retried ({ti['try_number']} tries)"
        log = airflow_stack.api.task_log(SENSORS, run_id, task_id, 1)
        assert "AirflowSensorTimeout" in log, log[-3000:]
    assert tis["report"]["state"] == "upstream_failed"


def test_file_sensor_waits_without_a_worker_slot_and_passes_when_the_file_lands(airflow_stack,
                                                                               unique_logical_date):
    dag_id = "partner_file_sensor"
    # A date no run has had: its partner file cannot exist yet, even on a kept stack.
    day = unique_logical_date()
    run_id = f"it_partner_{day}"
    airflow_stack.api.trigger(dag_id, day, run_id)

    wait_for_task_state(airflow_stack, dag_id, run_id, "wait_for_partner_file", {"up_for_reschedule"})
    # Airflow 3 keys task_reschedule by the task instance's id, 2 by dag_id/run_id/task_id.
    of_run = ("task_reschedule r JOIN task_instance ti ON ti.id = r.ti_id WHERE ti.dag_id = %s AND ti.run_id = %s"
              if line.MAJOR >= 3 else "task_reschedule WHERE dag_id = %s AND run_id = %s")
    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) AS n FROM {of_run}", (dag_id, run_id))
        assert cur.fetchone()["n"] >= 1, "a rescheduled sensor records each reschedule"
    assert airflow_stack.api.run_state(dag_id, run_id) == "running"

    airflow_stack.write_data_file(f"landing/partner/{day}.csv", "partner_id,amount\np1,10\np2,20\np3,30\n")
    airflow_stack.api.wait_for_run(dag_id, run_id, timeout=300)
    ti = airflow_stack.api.task_instances(dag_id, run_id)["wait_for_partner_file"]
    assert ti["state"] == "success" and ti["try_number"] == 1, ti
    assert airflow_stack.api.xcom(dag_id, run_id, "count_partner_rows") == 3
