"""SentryNotifier: Airflow callbacks that report to Sentry through sentry-sdk."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseNotifier

from airkit.notifiers.log import describe_failure

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

log = logging.getLogger("airkit.alerts")

#: Tags are indexed and searchable in Sentry; everything else goes into the "airflow" context.
TAG_FACTS = ("kind", "dag_id", "task_id", "run_id", "try_number")
LEVELS = {"task_retry": "warning", "sla_miss": "warning", "deadline_miss": "warning", "task_success": "info",
          "dag_success": "info"}


def default_message(facts: dict[str, Any]) -> str:
    where = f"{facts['dag_id']}.{facts['task_id']}" if facts.get("task_id") else str(facts.get("dag_id"))
    tries = f" (try {facts['try_number']} of {(facts.get('max_tries') or 0) + 1})" if facts.get("try_number") else ""
    return {
        "task_retry": f"Airflow task {where} failed{tries}, will be retried",
        "task_failure": f"Airflow task {where} failed{tries}",
        "task_success": f"Airflow task {where} succeeded{tries}",
        "dag_failure": f"Airflow DAG run {where}/{facts.get('run_id')} failed: {facts.get('reason')}",
        "dag_success": f"Airflow DAG run {where}/{facts.get('run_id')} succeeded",
        "sla_miss": f"Airflow SLA missed in {where}: {facts.get('task_id')} ({facts.get('logical_date')})",
        "deadline_miss": f"Airflow deadline missed by {where}/{facts.get('run_id')}: {facts.get('reason')}",
    }.get(facts["kind"], f"Airflow alert from {where}")


class SentryNotifier(BaseNotifier):
    """Send an Airflow callback to Sentry, as an event with the run's facts and the exception.

    Works as a task's ``on_failure_callback`` / ``on_retry_callback``, as a DAG's
    ``on_failure_callback`` and as its ``sla_miss_callback``::

        @dag(on_failure_callback=SentryNotifier(), sla_miss_callback=SentryNotifier(), ...)
        default_args = {"on_failure_callback": SentryNotifier(), "on_retry_callback": SentryNotifier()}

    Every event carries tags ``kind`` (task_failure, task_retry, dag_failure, sla_miss),
    ``dag_id``, ``task_id``, ``run_id``, ``try_number`` and a context ``airflow`` with the
    logical date, log URL, max tries and, for DAG runs, the failed tasks.

    :param dsn: the Sentry DSN; default: the ``SENTRY_DSN`` environment variable, read when
        the callback runs. No DSN means no event and no error: alerting is optional, and
        a Sentry that fails (bad DSN, SDK error) is logged, never raised into the callback.
    :param message: the event's message (templated with the callback context); default: a
        one-line summary such as "Airflow task my_dag.load failed (try 3 of 3)".
    :param level: Sentry level; default ``error``, ``warning`` for retries and SLA misses.
    :param tags: extra tags (templated), e.g. ``{"team": "data-platform"}``.
    :param environment: Sentry environment; default ``SENTRY_ENVIRONMENT`` if set.
    :param flush_timeout: seconds to wait for delivery. Task processes exit right after their
        callbacks, so the event is sent before returning, not in the background.

    The SDK client is private to each call (no ``sentry_sdk.init``): it does not clash with
    Airflow's own ``[sentry]`` integration, and installs no integrations in the process.
    """

    template_fields: Sequence[str] = ("message", "tags")

    def __init__(
        self,
        *,
        dsn: str | None = None,
        message: str | None = None,
        level: str | None = None,
        tags: dict[str, str] | None = None,
        environment: str | None = None,
        flush_timeout: float = 10.0,
    ) -> None:
        super().__init__()
        self.dsn = dsn
        self.message = message
        self.level = level
        self.tags = tags or {}
        self.environment = environment
        self.flush_timeout = flush_timeout

    def notify(self, context: Context) -> None:
        self.send(describe_failure(dict(context)), context.get("exception"))

    def send(self, facts: dict[str, Any], exception: Any = None) -> None:
        """Send an alert's facts (see :func:`airkit.notifiers.describe_failure`) to Sentry."""
        dsn = (self.dsn or os.environ.get("SENTRY_DSN") or "").strip()
        if not dsn:
            log.info("SENTRY_DSN is not set: no Sentry alert sent")
            return
        try:
            self._send(facts, exception, dsn)
        except Exception:
            # A broken alert channel must never break the callback. Airflow 2's BaseNotifier
            # logged what notify() raised, Airflow 3's re-raises it, so the error ends here.
            log.exception("Sentry alert not sent")

    def _send(self, facts: dict[str, Any], exception: Any, dsn: str) -> None:
        import sentry_sdk
        from sentry_sdk.utils import event_from_exception

        client = sentry_sdk.Client(
            dsn=dsn,
            environment=self.environment or os.environ.get("SENTRY_ENVIRONMENT") or None,
            default_integrations=False,
            auto_enabling_integrations=False,
        )
        try:
            if isinstance(exception, BaseException):
                event, hint = event_from_exception(exception, client_options=client.options)
            else:
                event, hint = {}, None
            event["message"] = self.message or default_message(facts)
            event["level"] = self.level or LEVELS.get(facts["kind"], "error")
            with sentry_sdk.isolation_scope(), sentry_sdk.new_scope() as scope:
                scope.set_client(client)
                for name in TAG_FACTS:
                    if facts.get(name) is not None:
                        scope.set_tag(name, str(facts[name]))
                for name, value in self.tags.items():
                    scope.set_tag(name, str(value))
                scope.set_context("airflow", {k: v for k, v in facts.items() if v not in (None, "")})
                # One Sentry issue per task and kind of alert, not one per run.
                scope.fingerprint = ["airflow", facts["kind"], str(facts["dag_id"]), str(facts.get("task_id"))]
                event_id = scope.capture_event(event, hint=hint)
            log.info("Sentry event %s sent: %s", event_id, event["message"])
        finally:
            # close() flushes first: the event is delivered (or timed out) before we return.
            client.close(timeout=self.flush_timeout)
