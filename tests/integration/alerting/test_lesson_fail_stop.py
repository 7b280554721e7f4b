"""lesson_fail_stop: with fail_stop=True the first failure stops a sibling that is still running."""
from __future__ import annotations

import pytest

from tests.integration.alerting.alert_sinks import exception_type, tagged

pytestmark = pytest.mark.integration

DAG_ID = "lesson_fail_stop"


def test_first_failure_stops_the_running_sibling(airflow_stack, sinks, run_dag):
    after = sinks.last_event_id()
    # long_running alone sleeps 600 s: the run can only end within this bound if it was stopped.
    run_id = run_dag(DAG_ID, timeout=240, expect="failed").run_id

    tis = airflow_stack.api.task_instances(DAG_ID, run_id)
    assert tis["fails_fast"]["state"] == "failed" and tis["fails_fast"]["try_number"] == 1
    assert tis["long_running"]["state"] == "failed", "the running sibling must be stopped (failed), not left running"
    # What had not started never runs: neither state is the outcome of a try. Airflow 2 marks it
    # skipped; on Airflow 3 the trigger rule may get there first (publish needs fails_fast) and
    # mark it upstream_failed, stamping a start date as it does (both seen in CI).
    assert tis["publish"]["state"] in ("skipped", "upstream_failed"), "fail_stop stops what has not started"
    log = airflow_stack.api.task_log(DAG_ID, run_id, "long_running", 1)
    assert "finished its ten minutes" not in log

    [event] = sinks.wait_for_events(tagged(run_id=run_id, kind="task_failure", task_id="fails_fast"), after=after)
    assert exception_type(event) == "AirflowFailException"
