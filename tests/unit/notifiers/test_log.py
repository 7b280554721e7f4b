from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from airkit.compat import AIRFLOW_MAJOR
from airkit.notifiers import describe_failure, log_failure


def test_logs_the_facts_of_a_failure(caplog) -> None:
    ti = SimpleNamespace(dag_id="events_etl", task_id="load_events", try_number=3, max_tries=2, log_url="http://x/log")
    context = {
        "ti": ti,
        "dag_run": SimpleNamespace(run_id="manual__2024-01-03"),
        "ds": "2024-01-03",
        "exception": ValueError("bad row"),
    }
    with caplog.at_level(logging.ERROR, logger="airkit.alerts"):
        log_failure(context)
    message = caplog.records[-1].getMessage()
    for fact in ("dag=events_etl", "task=load_events", "run=manual__2024-01-03", "try=3/2", "bad row"):
        assert fact in message
    assert describe_failure(context)["logical_date"] == "2024-01-03"


def test_never_raises(caplog) -> None:
    log_failure({})
    log_failure({"ti": object(), "dag": 42})


def test_kind_of_callback_is_read_off_the_context() -> None:
    from airkit.notifiers import callback_kind

    assert callback_kind({"ti": SimpleNamespace(state="up_for_retry")}) == "task_retry"
    assert callback_kind({"ti": SimpleNamespace(state="failed")}) == "task_failure"
    assert callback_kind({"reason": "task_failure", "dag_run": None}) == "dag_failure"
    assert callback_kind({"reason": "success"}) == "dag_success"
    assert callback_kind({"dag": None, "task_list": "", "slas": []}) == "sla_miss"


def _dag_failure_context_airflow_2() -> dict:
    # The DAG processor hands the callback an ORM DagRun, which queries the metadata DB.
    failed = [SimpleNamespace(task_id="load"), SimpleNamespace(task_id="fetch")]
    dag_run = SimpleNamespace(run_id="r1", get_task_instances=lambda state: failed)
    return {"dag": SimpleNamespace(dag_id="d"), "dag_run": dag_run, "reason": "task_failure",
            "ti": SimpleNamespace(task_id="unrelated", try_number=1)}


def _dag_failure_context_airflow_3(monkeypatch: pytest.MonkeyPatch) -> dict:
    # The DAG processor hands the callback the run's last task instance (a RuntimeTaskInstance)
    # and a dag_run record without DB access. The SDK's own get_task_states runs; only the
    # supervisor it talks to (the DAG processor manager, which asks the API server) stands in.
    from airflow.sdk.execution_time import task_runner
    from airflow.sdk.execution_time.comms import GetTaskStates, TaskStatesResult

    class Supervisor:
        def send(self, msg):
            assert isinstance(msg, GetTaskStates) and msg.dag_id == "d" and msg.run_ids == ["r1"], msg
            return TaskStatesResult(task_states={"r1": {"load": "failed", "fetch": "failed",
                                                        "report": "upstream_failed", "unrelated": "success"}})

    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", Supervisor(), raising=False)
    ti = SimpleNamespace(task_id="unrelated", try_number=1,
                         get_task_states=task_runner.RuntimeTaskInstance.get_task_states)
    return {"dag": SimpleNamespace(dag_id="d"), "dag_run": SimpleNamespace(run_id="r1"),
            "reason": "task_failure", "run_id": "r1", "ti": ti, "task_instance": ti}


def test_dag_level_facts_name_the_failed_tasks_not_a_random_task_instance(monkeypatch) -> None:
    context = (_dag_failure_context_airflow_3(monkeypatch) if AIRFLOW_MAJOR >= 3
               else _dag_failure_context_airflow_2())
    facts = describe_failure(context)
    assert facts["kind"] == "dag_failure" and facts["task_id"] is None
    assert facts["failed_tasks"] == ["fetch", "load"] and facts["run_id"] == "r1"


def test_sla_miss_is_logged(caplog) -> None:
    import datetime as dt

    from airkit.notifiers import log_sla_miss

    sla = SimpleNamespace(task_id="build_report", execution_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    with caplog.at_level(logging.WARNING, logger="airkit.alerts"):
        log_sla_miss(SimpleNamespace(dag_id="lesson_sla"), "build_report on 2024-01-01", "", [sla], [])
    assert "SLA MISSED dag=lesson_sla" in caplog.text and "build_report" in caplog.text
    facts = describe_failure({"dag": SimpleNamespace(dag_id="lesson_sla"), "task_list": "x", "slas": [sla],
                              "blocking_task_list": "", "blocking_tis": []})
    assert facts["kind"] == "sla_miss" and facts["task_id"] == "build_report"
    assert facts["logical_date"].startswith("2024-01-01")
