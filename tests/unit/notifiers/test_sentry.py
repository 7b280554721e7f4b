"""SentryNotifier through the real sentry-sdk to a real (local) Sentry receiver."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest
import requests

from airkit.compat import AIRFLOW_MAJOR
from airkit.notifiers import SentryNotifier


def _dag(dag_id: str = "events_etl"):
    # A real DAG: BaseNotifier renders its templates with the DAG's Jinja environment.
    from airflow.providers.common.compat.sdk import DAG

    return DAG(dag_id, schedule=None, start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))


def _context(state: str = "failed", exception: BaseException | None = None) -> dict:
    ti = SimpleNamespace(dag_id="events_etl", task_id="load_events", try_number=2, max_tries=2,
                         log_url="http://airflow/log?x=1", state=state)
    return {
        "dag": _dag(),
        "ti": ti,
        "task_instance": ti,
        "dag_run": SimpleNamespace(run_id="manual__2024-01-03"),
        "ds": "2024-01-03",
        "exception": exception,
    }


def _raised(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:  # noqa: BLE001 - we want it with its traceback
        return caught


def _events(sink) -> list[dict]:
    return requests.get(f"{sink.url}/events", timeout=5).json()


def test_task_failure_event_carries_the_run_facts_and_the_exception(sentry_sink) -> None:
    SentryNotifier(dsn=sentry_sink.dsn())(_context(exception=_raised(ValueError("bad row 7"))))

    [stored] = _events(sentry_sink)
    assert stored["project"] == "1"
    assert stored["level"] == "error"
    assert stored["tags"] == {"kind": "task_failure", "dag_id": "events_etl", "task_id": "load_events",
                              "run_id": "manual__2024-01-03", "try_number": "2"}
    assert stored["message"] == "Airflow task events_etl.load_events failed (try 2 of 3)"
    event = stored["event"]
    [exc] = event["exception"]["values"]
    assert exc["type"] == "ValueError" and exc["value"] == "bad row 7"
    assert exc["stacktrace"]["frames"], "the traceback must travel with the event"
    airflow = event["contexts"]["airflow"]
    assert airflow["log_url"] == "http://airflow/log?x=1"
    assert airflow["logical_date"] == "2024-01-03" and airflow["max_tries"] == 2


def test_retry_is_a_warning(sentry_sink) -> None:
    SentryNotifier(dsn=sentry_sink.dsn())(_context(state="up_for_retry", exception=_raised(ConnectionError("x"))))
    [stored] = _events(sentry_sink)
    assert stored["level"] == "warning" and stored["tags"]["kind"] == "task_retry"
    assert "will be retried" in stored["message"]


def test_dsn_from_the_environment_and_templated_message(sentry_sink, monkeypatch) -> None:
    monkeypatch.setenv("SENTRY_DSN", sentry_sink.dsn(project="42"))
    context = _context(exception=_raised(RuntimeError("x")))
    SentryNotifier(message="{{ ti.task_id }} broke on {{ ds }}", tags={"team": "data-platform"})(context)
    [stored] = _events(sentry_sink)
    assert stored["project"] == "42"
    assert stored["message"] == "load_events broke on 2024-01-03"
    assert stored["tags"]["team"] == "data-platform"


@pytest.mark.skipif(AIRFLOW_MAJOR >= 3, reason="Airflow 3 removed SLAs and never calls sla_miss_callback "
                    "(its BaseNotifier no longer even passes the slas argument on)")
def test_sla_miss_callback_signature(sentry_sink) -> None:
    sla = SimpleNamespace(task_id="build_report", execution_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    # Airflow calls sla_miss_callback(dag, task_list, blocking_task_list, slas, blocking_tis).
    SentryNotifier(dsn=sentry_sink.dsn())(_dag("lesson_sla"), "build_report on 2024-01-01", "", [sla], [])
    [stored] = _events(sentry_sink)
    assert stored["tags"]["kind"] == "sla_miss" and stored["tags"]["task_id"] == "build_report"
    assert stored["level"] == "warning" and "SLA missed in lesson_sla" in stored["message"]


def test_no_dsn_is_a_no_op(sentry_sink, monkeypatch, caplog) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    with caplog.at_level(logging.INFO, logger="airkit.alerts"):
        SentryNotifier().notify(_context(exception=_raised(ValueError("x"))))
    assert "SENTRY_DSN is not set" in caplog.text
    assert _events(sentry_sink) == []


def test_an_unreachable_sentry_does_not_break_the_callback(caplog) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # notify() itself, not the BaseNotifier call around it: Airflow 3's BaseNotifier re-raises.
    # Nothing listens: the SDK drops the event after its own timeout; the callback returns.
    SentryNotifier(dsn=f"http://k@127.0.0.1:{port}/1", flush_timeout=2).notify(
        _context(exception=_raised(ValueError("x")))
    )
    # A malformed DSN makes the SDK raise: logged, never raised into Airflow.
    with caplog.at_level(logging.ERROR, logger="airkit.alerts"):
        SentryNotifier(dsn="not a dsn").notify(_context())
    assert "Sentry alert not sent" in caplog.text
