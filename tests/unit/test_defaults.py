"""airkit.dag_defaults() / failure_callbacks(): the one place for owner, retries and alerting."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from types import SimpleNamespace

import requests

from airkit import dag_defaults, failure_callbacks
from airkit.notifiers import SentryNotifier, log_failure


def _kinds(callbacks) -> list[str]:
    # Airflow 3 stores a task's single callback as a one-item list, Airflow 2 as given.
    callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
    return ["log" if c is log_failure else "sentry" if isinstance(c, SentryNotifier) else repr(c)
            for c in callbacks]


def _dag(**default_args):
    from airflow.providers.common.compat.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG("defaults_test", schedule=None, start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
             default_args=dag_defaults(**default_args), on_failure_callback=failure_callbacks()) as dag:
        EmptyOperator(task_id="work")
    return dag


def test_owner_retries_and_alerting() -> None:
    args = dag_defaults()
    assert args["owner"] == "data-platform"
    assert args["retries"] == 2 and args["retry_delay"] == dt.timedelta(seconds=10)
    assert _kinds(args["on_failure_callback"]) == ["log", "sentry"]
    assert isinstance(args["on_retry_callback"], SentryNotifier)
    assert _kinds(failure_callbacks()) == ["log", "sentry"]


def test_keyword_arguments_replace_or_add_and_leave_the_rest() -> None:
    args = dag_defaults(retries=0, execution_timeout=dt.timedelta(minutes=10))
    assert args["retries"] == 0
    assert args["execution_timeout"] == dt.timedelta(minutes=10)
    assert args["owner"] == "data-platform" and _kinds(args["on_failure_callback"]) == ["log", "sentry"]
    assert dag_defaults()["retries"] == 2, "an override must not change the platform's defaults"


def test_every_call_gets_its_own_notifiers() -> None:
    # BaseNotifier renders its templated fields on the instance: DAGs must not share one.
    first, second = dag_defaults(), dag_defaults()
    assert first["on_failure_callback"][1] is not second["on_failure_callback"][1]
    assert first["on_retry_callback"] is not second["on_retry_callback"]
    first["on_failure_callback"].clear()
    assert len(second["on_failure_callback"]) == 2
    assert failure_callbacks()[1] is not failure_callbacks()[1]


def test_tasks_of_a_dag_get_them() -> None:
    dag = _dag(retries=3)
    task = dag.get_task("work")
    assert task.owner == "data-platform" and task.retries == 3
    assert task.retry_delay == dt.timedelta(seconds=10)
    assert _kinds(task.on_failure_callback) == ["log", "sentry"]
    assert _kinds(task.on_retry_callback) == ["sentry"]
    assert _kinds(dag.on_failure_callback) == ["log", "sentry"]


def test_a_task_failure_reaches_the_log_and_sentry(sentry_sink, monkeypatch, caplog) -> None:
    monkeypatch.setenv("SENTRY_DSN", sentry_sink.dsn())
    dag = _dag()
    task = dag.get_task("work")
    ti = SimpleNamespace(dag_id=dag.dag_id, task_id=task.task_id, try_number=3, max_tries=2, log_url=None,
                         state="failed")
    context = {"dag": dag, "ti": ti, "task_instance": ti, "run_id": "manual__2024-01-03",
               "ds": "2024-01-03", "exception": ValueError("bad row 7")}
    with caplog.at_level(logging.ERROR, logger="airkit.alerts"):
        for callback in task.on_failure_callback:
            callback(context)
    assert "FAILED dag=defaults_test task=work run=manual__2024-01-03" in caplog.text
    [event] = requests.get(f"{sentry_sink.url}/events", timeout=5).json()
    assert event["level"] == "error"
    assert event["tags"]["kind"] == "task_failure" and event["tags"]["task_id"] == "work"


def test_importing_airkit_does_not_import_airflow() -> None:
    # Tools and tests import airkit without wanting Airflow's seconds-long import.
    code = "import sys, airkit; airkit.dag_defaults; print(sorted(m for m in sys.modules if m.startswith('airflow')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]", result.stdout
