"""Mail a plain-text report through Airflow's configured e-mail backend ([smtp] settings)."""

from __future__ import annotations

import html
import logging

log = logging.getLogger("airkit.alerts")


def recipients(value: str | None) -> list[str]:
    """``"a@x, b@y"`` -> ``["a@x", "b@y"]``; empty or None -> ``[]``."""
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]


def send_text_report(*, to: str | list[str] | None, subject: str, body: str) -> list[str]:
    """Send ``body`` (plain text, shown monospaced) to ``to``; return who it went to.

    No recipients means nothing is sent (and that is logged): a stack without a mail setup
    still runs its pipelines. A failing SMTP server raises, so the task fails and is retried.
    """
    from airflow.utils.email import send_email

    to_list = recipients(to) if isinstance(to, str) or to is None else list(to)
    if not to_list:
        log.info("no recipients: report %r not mailed", subject)
        return []
    # Airflow's backend sends HTML; <pre> keeps the report's columns aligned.
    send_email(to=to_list, subject=subject, html_content=f"<pre>{html.escape(body)}</pre>")
    log.info("report %r mailed to %s", subject, ", ".join(to_list))
    return to_list
