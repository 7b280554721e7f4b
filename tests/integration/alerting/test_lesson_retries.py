"""lesson_retries: a failing and a hanging first try are retried, succeed on try 2, and each retry alerts."""
from __future__ import annotations

import pytest

from tests.integration.alerting.alert_sinks import exception_type, tagged

pytestmark = pytest.mark.integration

DAG_ID = "lesson_retries"


def test_first_try_fails_second_succeeds_and_the_retry_reaches_sentry(airflow_stack, sinks, run_dag):
    after = sinks.last_event_id()
    run_id = run_dag(DAG_ID, conf={"fail_first_try": True, "hang_first_try": True}).run_id

    tis = airflow_stack.api.task_instances(DAG_ID, run_id)
    for task_id in ("call_flaky_service", "call_slow_service"):
        assert tis[task_id]["state"] == "success"
        assert tis[task_id]["try_number"] == 2, f"{task_id} should have succeeded on its retry: {tis[task_id]}"

    retries = sinks.wait_for_events(tagged(dag_id=DAG_ID, run_id=run_id, kind="task_retry"), after=after, count=2)
    by_task = {event["tags"]["task_id"]: event for event in retries}
    assert set(by_task) == {"call_flaky_service", "call_slow_service"}
    for task_id, exc_type in (("call_flaky_service", "ConnectionError"), ("call_slow_service", "AirflowTaskTimeout")):
        event = by_task[task_id]
        assert event["tags"]["try_number"] == "1" and event["level"] == "warning"
        assert exception_type(event) == exc_type, event["event"].get("exception")
        airflow = event["event"]["contexts"]["airflow"]
        assert DAG_ID in airflow["log_url"] and task_id in airflow["log_url"]
        assert airflow["max_tries"] == 2

    # The run healed: no failure alert for it (those are sent before the run can succeed).
    failures = [e for e in sinks.events() if e["id"] > after and tagged(run_id=run_id)(e)
                and e["tags"]["kind"] != "task_retry"]
    assert failures == []
