"""events_etl's send_stats mails the day's stats, and they are the generator's numbers."""
from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from airkit.events.generator import expected_daily_stats

pytestmark = pytest.mark.integration


def test_send_stats_mails_the_days_stats(airflow_stack, sinks, run_dag):
    after = sinks.last_message_id()
    day = run_dag("events_etl").logical_date

    [message] = sinks.wait_for_messages(lambda m: f"for {day}:" in m["subject"], after=after, timeout=60)
    expected = expected_daily_stats(day)
    events = sum(row["event_count"] for row in expected)
    total = sum((row["total_amount"] for row in expected), Decimal("0.00"))
    assert message["subject"] == f"[airkit] events stats for {day}: {len(expected)} users, {events} events, total {total}"
    assert message["rcpt_tos"] == [a.strip() for a in airflow_stack.values["ALERT_EMAIL_TO"].split(",")]

    # The report is sent as HTML: plain text inside <pre>, escaped.
    body = html.unescape(re.sub(r"</?pre>", "\n", message["body"]))
    for row in expected:
        line = rf"^{re.escape(row['user_id'])}\s+{row['event_count']}\s+{re.escape(str(row['total_amount']))}\s*$"
        assert re.search(line, body, re.MULTILINE), f"no line for {row} in:\n{body}"
    assert re.search(rf"^total\s+{events}\s+{re.escape(str(total))}\s*$", body, re.MULTILINE), body
