"""The facts of an alert, from any Airflow callback context, and the logging callback.

Every channel (log, Sentry, mail) describes a failure with :func:`describe_failure`, so an
alert says the same thing wherever it lands.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("airkit.alerts")


def _value(state: Any) -> str | None:
    return None if state is None else str(getattr(state, "value", state))


def callback_kind(context: dict[str, Any]) -> str:
    """Which callback fired: task_failure, task_retry, task_success, dag_failure, dag_success,
    or sla_miss. Airflow passes no such flag, so it is read off the context's shape and state."""
    if "slas" in context or "task_list" in context:
        return "sla_miss"
    if "reason" in context:
        # DAG-level callbacks (run by the DAG processor) carry `reason`: "success" or why it failed.
        return "dag_success" if context.get("reason") == "success" else "dag_failure"
    ti = context.get("task_instance") or context.get("ti")
    state = _value(getattr(ti, "state", None))
    return {"up_for_retry": "task_retry", "success": "task_success"}.get(state or "", "task_failure")


def _failed_tasks(context: dict[str, Any], dag_id: str | None, run_id: str | None) -> list[str] | None:
    dag_run = context.get("dag_run")
    try:
        if hasattr(dag_run, "get_task_instances"):
            # Airflow 2: the DAG processor runs the callback with a DagRun from the metadata DB.
            return sorted(ti.task_id for ti in dag_run.get_task_instances(state=["failed"]))
        # Airflow 3: callbacks have no DB access and the context's dag_run is a plain record;
        # the run's last task instance asks the API server, through the process's supervisor.
        # Mapped task instances come back as "<task_id>_<map_index>".
        ti = context.get("task_instance") or context.get("ti")
        states = ti.get_task_states(dag_id=dag_id, run_ids=[run_id])
        return sorted(task for task, state in states.get(run_id, {}).items() if _value(state) == "failed")
    except Exception:  # noqa: BLE001 - a detail of the alert, never a reason to lose it
        return None


def describe_failure(context: dict[str, Any]) -> dict[str, Any]:
    """The facts an alert needs, from an Airflow callback context (task, DAG or SLA miss)."""
    kind = callback_kind(context)
    dag = context.get("dag")
    if kind == "sla_miss":
        slas = list(context.get("slas") or [])
        return {
            "kind": kind,
            "dag_id": getattr(dag, "dag_id", None),
            "task_id": ",".join(sorted({str(getattr(s, "task_id", "")) for s in slas})) or None,
            "run_id": None,
            "logical_date": ",".join(sorted({str(getattr(s, "execution_date", "")) for s in slas})),
            "try_number": None,
            "max_tries": None,
            "exception": "",
            "log_url": None,
            "reason": f"SLA missed:\n{context.get('task_list') or ''}",
            "blocking_tasks": context.get("blocking_task_list") or "",
        }
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    facts = {
        "kind": kind,
        "dag_id": getattr(dag, "dag_id", None) or getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(dag_run, "run_id", None) or context.get("run_id"),
        "logical_date": str(context.get("logical_date") or context.get("ds") or ""),
        "try_number": getattr(ti, "try_number", None),
        "max_tries": getattr(ti, "max_tries", None),
        "exception": repr(context.get("exception") or ""),
        "log_url": getattr(ti, "log_url", None),
        "reason": str(context.get("reason") or ""),
    }
    if kind.startswith("dag_"):
        # A DAG-level context carries *a* task instance of the run, not necessarily the one
        # that failed: name the failed tasks instead of pointing at a random one.
        facts.update(task_id=None, try_number=None, max_tries=None, log_url=None,
                     failed_tasks=_failed_tasks(context, facts["dag_id"], facts["run_id"]))
    return facts


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


def log_sla_miss(dag: Any, task_list: str, blocking_task_list: str, slas: Any, blocking_tis: Any) -> None:
    """``sla_miss_callback``: log which tasks missed their SLA (Airflow's 5-argument signature).

    Runs in the DAG processor (the scheduler's log), not in a task. Never raises.
    """
    try:
        log.warning("SLA MISSED dag=%s\n%s\nblocking:\n%s", getattr(dag, "dag_id", dag), task_list,
                    blocking_task_list or "(none)")
    except Exception:  # noqa: BLE001 - see log_failure
        log.exception("airkit.notifiers.log_sla_miss could not describe the SLA miss")
