"""What every DAG shares: who owns it, how often a task is retried, and how a failure alerts.

One definition instead of a ``default_args`` block per DAG: copied blocks drift (five DAGs
had lost their Sentry alerts before this module existed), and a change of policy would
otherwise mean editing every file in ``dags/``::

    @dag(default_args=dag_defaults(), on_failure_callback=failure_callbacks(), ...)

A DAG that needs something else says so, and only that: ``dag_defaults(retries=0)``.

Airflow is imported when the functions are called, not when this module is: ``import
airkit`` stays cheap for tools and tests that never touch Airflow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

OWNER = "data-platform"
RETRIES = 2
# Transient faults (a 500, a timeout) usually clear within seconds. 10 s keeps the integration
# tests and demos quick; a production DAG would wait minutes, usually with
# retry_exponential_backoff=True, so an outage of the source is not hammered.
RETRY_DELAY = timedelta(seconds=10)


def failure_callbacks() -> list[Any]:
    """The channels a failure goes to: the log (always there) and Sentry (a no-op without a DSN).

    For a DAG's own ``on_failure_callback`` (a failed run), which Airflow does not take from
    ``default_args``; :func:`dag_defaults` gives tasks the same list. A fresh list and notifier
    per call: Airflow renders a notifier's templated fields on the instance itself.
    """
    from airkit.notifiers import SentryNotifier, log_failure

    return [log_failure, SentryNotifier()]


def dag_defaults(**overrides: Any) -> dict[str, Any]:
    """``default_args`` for a DAG: owner, retries, retry delay and the alerting callbacks.

    Every failed task is logged and sent to Sentry as an error, every retry to Sentry as a
    warning. Keyword arguments are any other ``BaseOperator`` arguments, or replace one of
    these for this DAG, e.g. ``dag_defaults(retries=0)`` or
    ``dag_defaults(execution_timeout=timedelta(minutes=10))``.
    """
    from airkit.notifiers import SentryNotifier

    return {
        "owner": OWNER,
        "retries": RETRIES,
        "retry_delay": RETRY_DELAY,
        "on_failure_callback": failure_callbacks(),
        "on_retry_callback": SentryNotifier(),
        **overrides,
    }
