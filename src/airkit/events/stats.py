"""The daily stats transform: pure pandas, no I/O, so it is testable on a DataFrame."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

STATS_COLUMNS = ["day", "user_id", "event_count", "total_amount"]


def daily_stats(events: pd.DataFrame, day: str) -> pd.DataFrame:
    """Per user: number of events and total amount, for one day's ``events`` rows.

    ``events`` needs columns ``event_id``, ``user_id``, ``amount`` (as loaded, one row per
    event). Amounts stay ``Decimal``: summing money as floats would make the stats differ
    in the last cent from the warehouse's own ``sum(amount)``.
    """
    if events.empty:
        return pd.DataFrame(columns=STATS_COLUMNS)
    stats = (
        events.groupby("user_id", sort=True)
        .agg(
            event_count=("event_id", "size"),
            total_amount=("amount", lambda s: sum((Decimal(v) for v in s), Decimal("0.00"))),
        )
        .reset_index()
    )
    stats.insert(0, "day", day)
    return stats[STATS_COLUMNS]
