"""lesson_fail_fast: bad input fails at once (no retries), a no-data day skips, trigger rules follow."""
from __future__ import annotations

import pytest

from tests.integration.alerting.alert_sinks import exception_type, tagged

pytestmark = pytest.mark.integration

DAG_ID = "lesson_fail_fast"


def _states(airflow_stack, run_id: str) -> dict[str, tuple[str, int]]:
    return {t: (ti["state"], ti["try_number"]) for t, ti in airflow_stack.api.task_instances(DAG_ID, run_id).items()}


def test_bad_input_fails_without_retries_and_no_data_skips(airflow_stack, sinks, events_api, unique_logical_date):
    bad_day, empty_day = unique_logical_date(), unique_logical_date()
    bad_run, empty_run = f"it_fail_fast_bad_{bad_day}", f"it_fail_fast_empty_{empty_day}"
    events_api.arm("wrong_types", day=bad_day)
    events_api.arm("empty", day=empty_day)
    after = sinks.last_event_id()
    # Both runs side by side: independent days, and half the waiting.
    airflow_stack.api.trigger(DAG_ID, bad_day, bad_run)
    airflow_stack.api.trigger(DAG_ID, empty_day, empty_run)
    airflow_stack.api.wait_for_run(DAG_ID, bad_run, timeout=300, expect="failed")
    airflow_stack.api.wait_for_run(DAG_ID, empty_run, timeout=300, expect="success")

    bad = _states(airflow_stack, bad_run)
    assert bad["extract_events"] == ("failed", 1), "bad input must fail on the first try, not be retried"
    assert bad["summarize"][0] == bad["publish"][0] == "upstream_failed"
    assert bad["audit"][0] == "upstream_failed", "none_failed does not run after a failure"
    assert bad["cleanup"][0] == "success", "all_done runs whatever happened"
    log = airflow_stack.api.task_log(DAG_ID, bad_run, "extract_events", 1)
    assert "AirflowFailException" in log and "wrong type" in log, log[-2000:]

    empty = {t: s for t, (s, _) in _states(airflow_stack, empty_run).items()}
    assert empty == {"extract_events": "skipped", "summarize": "skipped", "publish": "skipped",
                     "audit": "success", "cleanup": "success"}

    # The failure alerts: the task's own (with the exception), and the DAG run's (failed tasks named).
    [task_event] = sinks.wait_for_events(tagged(run_id=bad_run, kind="task_failure"), after=after)
    assert task_event["tags"]["task_id"] == "extract_events" and task_event["tags"]["try_number"] == "1"
    assert exception_type(task_event) == "AirflowFailException"
    [dag_event] = sinks.wait_for_events(tagged(run_id=bad_run, kind="dag_failure"), after=after)
    assert dag_event["event"]["contexts"]["airflow"]["failed_tasks"] == ["extract_events"]
    assert dag_event["level"] == "error"
    # A skipped day is not an incident.
    assert [e for e in sinks.events() if e["id"] > after and tagged(run_id=empty_run)(e)] == []
