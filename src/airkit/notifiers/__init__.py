"""Alerting: the one place where alert channels plug in.

DAGs use these instead of writing their own callbacks, so a channel is added here once and
every DAG gets it:

- :func:`log_failure` - logs the facts of a failure (any ``on_*_callback``);
  :func:`log_sla_miss` the same for ``sla_miss_callback``.
- :class:`SentryNotifier` - sends them to Sentry through sentry-sdk (a no-op without a DSN).
- :mod:`airkit.notifiers.deadline` - ``deadline_missed``, the callback of Airflow 3's Deadline
  Alerts (log + Sentry); imported from there, as it runs in the triggerer.
- :func:`send_text_report` - mails a report through Airflow's [smtp] settings.
"""

from __future__ import annotations

from airkit.notifiers.log import callback_kind, describe_failure, log_failure, log_sla_miss
from airkit.notifiers.mail import send_text_report
from airkit.notifiers.sentry import SentryNotifier

__all__ = ["SentryNotifier", "callback_kind", "describe_failure", "log_failure", "log_sla_miss", "send_text_report"]
