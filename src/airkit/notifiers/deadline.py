"""Deadline Alerts (Airflow 3.1+): the callback that reports a missed deadline.

Airflow 3 replaced SLAs with ``DeadlineAlert``: a deadline is a reference point of a DAG run
(queued at, logical date, a fixed time, the average run time) plus an interval; when a run has
not finished by then, the scheduler queues the alert's callback. An ``AsyncCallback`` runs in
the triggerer, so it must be a top-level coroutine importable there: this one, with the
promise the deadline stood for as a keyword argument::

    DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT, interval=timedelta(seconds=10),
                  callback=AsyncCallback(deadline_missed, kwargs={"promise": "report within 10 s"}))

It alerts like every other airkit callback: a log line, and a Sentry event (kind
``deadline_miss``, level warning) when SENTRY_DSN is set.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from airkit.notifiers.sentry import SentryNotifier

log = logging.getLogger("airkit.alerts")


def describe_deadline_miss(context: dict[str, Any] | None, promise: str = "") -> dict[str, Any]:
    """The facts of a missed deadline, from the context Airflow gives the callback: the DAG run
    as the REST API shows it, and the deadline's time."""
    run = (context or {}).get("dag_run") or {}
    deadline = (context or {}).get("deadline") or {}
    return {
        "kind": "deadline_miss",
        "dag_id": run.get("dag_id"),
        "task_id": None,
        "run_id": run.get("dag_run_id"),
        "logical_date": run.get("logical_date"),
        "try_number": None,
        "max_tries": None,
        "exception": "",
        "log_url": None,
        "reason": f"not finished by {deadline.get('deadline_time')}" + (f" ({promise})" if promise else ""),
    }


async def deadline_missed(context: dict[str, Any] | None = None, promise: str = "") -> None:
    """``AsyncCallback`` of a ``DeadlineAlert``: log the miss and send it to Sentry."""
    facts = describe_deadline_miss(context, promise)
    log.warning("DEADLINE MISSED dag=%s run=%s: %s", facts["dag_id"], facts["run_id"], facts["reason"])
    # sentry-sdk blocks until the event is delivered: not on the triggerer's event loop.
    await asyncio.to_thread(SentryNotifier().send, facts)
