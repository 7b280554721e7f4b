"""Render the daily stats as a message (the body send_stats prepares)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any


def render_stats_report(day: str, rows: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """Subject and plain-text body for one day's ``daily_stats`` rows."""
    events = sum(int(r["event_count"]) for r in rows)
    total = sum((Decimal(r["total_amount"]) for r in rows), Decimal("0.00"))
    subject = f"[airkit] events stats for {day}: {len(rows)} users, {events} events, total {total}"
    lines = [f"Events stats for {day}", "", f"{'user':<12} {'events':>7} {'amount':>12}"]
    lines += [f"{r['user_id']:<12} {int(r['event_count']):>7} {Decimal(r['total_amount']):>12}" for r in rows]
    lines += ["", f"{'total':<12} {events:>7} {total:>12}"]
    if not rows:
        lines.insert(2, "(no events on this day)")
    return subject, "\n".join(lines)
