"""lesson_sla: a late run is alerted -- on Airflow 3 by its Deadline Alert (any run), on 2.11 by
the SLA of a scheduled run (recorded in sla_miss)."""
from __future__ import annotations

import pytest
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.stack import line
from tests.integration.alerting.alert_sinks import parse_time, tagged

pytestmark = pytest.mark.integration

DAG_ID = "lesson_sla"


def _notified_misses(airflow_stack, since) -> list[dict]:
    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT task_id, execution_date, notification_sent FROM sla_miss "
            "WHERE dag_id = %s AND timestamp >= %s AND notification_sent ORDER BY execution_date",
            (DAG_ID, since),
        )
        return cur.fetchall()


@pytest.mark.skipif(line.MAJOR < 3, reason="Deadline Alerts are Airflow 3.1+ (2.11: the SLA test below)")
def test_a_run_past_its_deadline_is_alerted_and_still_finishes(airflow_stack, sinks, run_dag):
    after = sinks.last_event_id()
    try:
        # 20 s of work against a deadline 10 s after queueing; a manual run is enough.
        result = run_dag(DAG_ID, conf={"sleep_seconds": 20}, timeout=300)
    finally:
        airflow_stack.api.pause(DAG_ID)
    events = sinks.wait_for_events(tagged(dag_id=DAG_ID, kind="deadline_miss", run_id=result.run_id),
                                   after=after, timeout=90)
    assert all(e["level"] == "warning" for e in events), events
    assert "not finished by" in events[0]["event"]["contexts"]["airflow"]["reason"]


@pytest.mark.skipif(line.MAJOR >= 3, reason="SLAs never fire on Airflow 3 (the deadline test above)")
def test_a_late_scheduled_run_records_an_sla_miss_and_fires_the_callback(airflow_stack, sinks):
    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute("SELECT now() AS now")
        since = cur.fetchone()["now"]
    # Earlier runs (a kept stack) would make every interval that passed while the DAG was paused
    # count as a miss at once; without them a miss needs a run of this test to succeed first.
    airflow_stack.api.wait_for_dag(DAG_ID)
    for run in airflow_stack.api.call("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100})["dag_runs"]:
        airflow_stack.api.call("DELETE", f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}")
    after = sinks.last_event_id()
    # SLAs are only checked for scheduled runs: unpausing the every-minute DAG is the test.
    airflow_stack.api.unpause(DAG_ID)
    try:
        # A first run must succeed, then the next one overrun (see the DAG's doc): ~1-2 minutes.
        try:
            misses = Retrying(stop=stop_after_delay(240), wait=wait_fixed(3), retry=retry_if_result(lambda r: not r))(
                _notified_misses, airflow_stack, since)
        except Exception:  # tenacity.RetryError
            runs = airflow_stack.api.call("GET", f"/dags/{DAG_ID}/dagRuns", params={"order_by": "-execution_date", "limit": 5})
            raise AssertionError(f"no notified SLA miss for {DAG_ID} within 240s; runs: "
                                 f"{[(r['run_id'], r['state']) for r in runs['dag_runs']]}\n"
                                 f"{airflow_stack.logs('airflow-scheduler', 40)}") from None
        assert {m["task_id"] for m in misses} == {"build_report"}

        events = sinks.wait_for_events(tagged(dag_id=DAG_ID, kind="sla_miss"), after=after, timeout=60)
        assert all(e["tags"]["task_id"] == "build_report" and e["level"] == "warning" for e in events)
        alerted = {parse_time(d) for e in events for d in e["event"]["contexts"]["airflow"]["logical_date"].split(",")}
        assert alerted & {m["execution_date"] for m in misses}, (alerted, misses)

        runs = airflow_stack.api.call("GET", f"/dags/{DAG_ID}/dagRuns")["dag_runs"]
        assert runs and {r["run_type"] for r in runs} == {"scheduled"}
    finally:
        airflow_stack.api.pause(DAG_ID)
