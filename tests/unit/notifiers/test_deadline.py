"""deadline_missed, the Deadline Alert callback, through the real sentry-sdk to a real (local)
Sentry receiver, with the context Airflow 3's scheduler hands it (models/deadline.py)."""

from __future__ import annotations

import asyncio

import requests

from airkit.notifiers.deadline import deadline_missed

CONTEXT = {
    "dag_run": {"dag_id": "lesson_sla", "dag_run_id": "manual__2024-01-03", "logical_date": "2024-01-03T00:00:00Z",
                "state": "running"},
    "deadline": {"id": "0199", "deadline_time": "2024-01-03T00:00:10Z"},
}


def test_a_missed_deadline_is_a_sentry_warning_with_the_run_and_the_promise(sentry_sink, monkeypatch) -> None:
    monkeypatch.setenv("SENTRY_DSN", sentry_sink.dsn())
    asyncio.run(deadline_missed(context=CONTEXT, promise="report within 10 s"))

    [stored] = requests.get(f"{sentry_sink.url}/events", timeout=5).json()
    assert stored["level"] == "warning"
    assert stored["tags"] == {"kind": "deadline_miss", "dag_id": "lesson_sla", "run_id": "manual__2024-01-03"}
    reason = stored["event"]["contexts"]["airflow"]["reason"]
    assert "2024-01-03T00:00:10Z" in reason and "report within 10 s" in reason


def test_without_a_dsn_the_miss_is_logged_and_nothing_raises(monkeypatch, caplog) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    asyncio.run(deadline_missed(context=CONTEXT))
    assert "DEADLINE MISSED dag=lesson_sla run=manual__2024-01-03" in caplog.text
