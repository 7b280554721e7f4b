"""Failure callbacks: the one place where alerting plugs in.

DAGs reference these functions instead of writing their own, so a new alert channel
(mail, Sentry, chat) is added here once and every DAG gets it.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("airkit.alerts")


def describe_failure(context: dict[str, Any]) -> dict[str, Any]:
    """The facts an alert needs, from an Airflow callback context (task- or DAG-level)."""
    ti = context.get("task_instance") or context.get("ti")
    dag = context.get("dag")
    dag_run = context.get("dag_run")
    return {
        "dag_id": getattr(dag, "dag_id", None) or getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(dag_run, "run_id", None) or context.get("run_id"),
        "logical_date": str(context.get("logical_date") or context.get("ds") or ""),
        "try_number": getattr(ti, "try_number", None),
        "max_tries": getattr(ti, "max_tries", None),
        "exception": repr(context.get("exception") or context.get("reason") or ""),
        "log_url": getattr(ti, "log_url", None),
    }


def log_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback``: log dag/task/run/try of the failure.

    Never raises: an exception in a callback is only logged by Airflow and would hide the
    original failure, so a broken alert channel must not break the report of the error.
    """
    try:
        facts = describe_failure(context)
        log.error(
            "FAILED dag=%(dag_id)s task=%(task_id)s run=%(run_id)s logical_date=%(logical_date)s "
            "try=%(try_number)s/%(max_tries)s error=%(exception)s log=%(log_url)s",
            facts,
        )
    except Exception:  # noqa: BLE001 - see docstring
        log.exception("airkit.notifiers.log_failure could not describe the failure")
