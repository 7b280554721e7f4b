from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pandas as pd
import pytest

from airkit.events import generator as g
from airkit.events.stats import daily_stats

WEEK = [f"2024-01-{d:02d}" for d in range(1, 8)]


def _digest(day: str) -> str:
    return hashlib.sha256(json.dumps(g.generate_events(day)).encode()).hexdigest()


def test_same_date_same_events() -> None:
    assert g.generate_events("2024-01-03") == g.generate_events(dt.date(2024, 1, 3))


def test_independent_of_process_and_of_what_was_generated_before() -> None:
    before = _digest("2024-01-05")
    g.generate_events("2024-02-01")
    assert _digest("2024-01-05") == before
    # Another interpreter with another hash seed must produce the same bytes.
    code = (
        "import hashlib, json; from airkit.events.generator import generate_events; "
        "print(hashlib.sha256(json.dumps(generate_events('2024-01-05')).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == before


def test_dates_differ() -> None:
    assert len({_digest(d) for d in WEEK}) == len(WEEK)


@pytest.mark.parametrize("day", WEEK)
def test_shape_of_a_day(day: str) -> None:
    feed = g.generate_events(day)
    summary = g.feed_summary(day)
    assert g.MIN_EVENTS <= summary["distinct_events"] <= g.MAX_EVENTS
    assert summary["exact_duplicates"] >= 1
    assert summary["corrections"] >= 1
    required = {"event_id", "user", "event_type", "occurred_at", "amount", "date", "version", "updated_at"}
    for event in feed:
        assert set(event) == required
        assert isinstance(event["event_id"], str) and isinstance(event["user"], str)
        assert isinstance(event["amount"], float) and isinstance(event["version"], int)
        assert event["date"] == day
        occurred = dt.datetime.fromisoformat(event["occurred_at"])
        assert occurred.tzinfo is not None and occurred.date().isoformat() == day
        assert dt.datetime.fromisoformat(event["updated_at"]) >= occurred
    json.dumps(feed)  # JSON-ready


def test_corrections_change_a_field_and_sometimes_come_first() -> None:
    correction_first = 0
    for day in WEEK:
        feed = g.generate_events(day)
        by_id: dict[str, list[tuple[int, dict]]] = {}
        for pos, e in enumerate(feed):
            by_id.setdefault(e["event_id"], []).append((pos, e))
        for versions in by_id.values():
            distinct = {json.dumps(e, sort_keys=True) for _, e in versions}
            if len(distinct) < 2:
                continue
            newest = max(versions, key=lambda pe: pe[1]["version"])
            oldest = min(versions, key=lambda pe: pe[1]["version"])
            assert newest[1]["updated_at"] > oldest[1]["updated_at"]
            assert (newest[1]["amount"], newest[1]["event_type"]) != (oldest[1]["amount"], oldest[1]["event_type"])
            correction_first += newest[0] < oldest[0]
    # "Last record in the file wins" would be wrong for these.
    assert correction_first >= 1


@pytest.mark.parametrize("day", WEEK[:3])
def test_expected_events_latest_version_wins(day: str) -> None:
    expected = g.expected_events(day)
    ids = [r["event_id"] for r in expected]
    assert ids == sorted(set(ids))
    newest = {}
    for e in g.generate_events(day):
        if e["event_id"] not in newest or e["version"] > newest[e["event_id"]]["version"]:
            newest[e["event_id"]] = e
    assert len(expected) == len(newest) == g.feed_summary(day)["distinct_events"]
    for row in expected:
        src = newest[row["event_id"]]
        assert row["version"] == src["version"]
        assert row["user_id"] == src["user"] and row["event_type"] == src["event_type"]
        assert row["amount"] == Decimal(str(src["amount"]))
        assert row["day"] == dt.date.fromisoformat(day)
        assert row["occurred_at"].tzinfo is not None


def test_expected_daily_stats_add_up() -> None:
    day = "2024-01-02"
    stats = g.expected_daily_stats(day)
    events = g.expected_events(day)
    assert [s["user_id"] for s in stats] == sorted(Counter(e["user_id"] for e in events))
    assert sum(s["event_count"] for s in stats) == len(events)
    assert sum(s["total_amount"] for s in stats) == sum(e["amount"] for e in events)
    assert all(isinstance(s["total_amount"], Decimal) for s in stats)


def test_generate_range_is_end_exclusive() -> None:
    assert g.generate_range("2024-01-01", "2024-01-03") == g.generate_events("2024-01-01") + g.generate_events(
        "2024-01-02"
    )
    assert g.generate_range("2024-01-01", "2024-01-01") == []


def test_pandas_transform_matches_expected_stats() -> None:
    # The DAG's transform (pandas) and the generator's truth (plain Python) are written
    # independently; they must agree.
    day = "2024-01-04"
    events = pd.DataFrame(g.expected_events(day))
    stats = daily_stats(events, day=day)
    got = [
        {**r, "day": dt.date.fromisoformat(r["day"])} for r in stats.astype(object).to_dict("records")
    ]
    assert got == g.expected_daily_stats(day)


def test_pandas_transform_of_an_empty_day() -> None:
    stats = daily_stats(pd.DataFrame(columns=["event_id", "user_id", "amount"]), day="2024-01-01")
    assert stats.empty and list(stats.columns) == ["day", "user_id", "event_count", "total_amount"]
