"""Deterministic synthetic user events, with the mess real feeds have.

Every date has its own random generator seeded by the date, so the events of 2024-01-05
are the same on every machine and every run, whatever other dates were generated before.
The feed for a date deliberately contains:

- exact duplicates (the same record delivered twice), and
- late corrections: the same ``event_id`` again with a changed field, a higher ``version``
  and a later ``updated_at``; the correction must win, wherever it appears in the list.

:func:`expected_events` and :func:`expected_daily_stats` compute, independently of the
pipeline's code, what the warehouse must hold for a date after a correct load.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

MIN_EVENTS = 50
MAX_EVENTS = 200
EVENT_TYPES = ("page_view", "click", "add_to_cart", "purchase")
_TYPE_WEIGHTS = (55, 25, 12, 8)
_PRICED = ("add_to_cart", "purchase")
USERS = tuple(f"user_{n:02d}" for n in range(1, 31))
# Fractions of the day's distinct events that get a correction / are delivered twice.
_CORRECTION_RATE = 0.08
_DUPLICATE_RATE = 0.06

DateLike = dt.date | str


def _as_date(day: DateLike) -> dt.date:
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    return dt.date.fromisoformat(day)


def _iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _amount(rng: random.Random, event_type: str) -> float:
    if event_type not in _PRICED:
        return 0.0
    return rng.randint(199, 49999) / 100


def generate_events(day: DateLike) -> list[dict[str, Any]]:
    """The raw feed for ``day`` (UTC), as the events API serves it: JSON-ready dicts.

    Fields: ``event_id`` (str), ``user`` (str), ``event_type`` (str), ``occurred_at``
    (ISO-8601 UTC, within ``day``), ``amount`` (number, 2 decimals), ``date``
    (YYYY-MM-DD), ``version`` (int, 1 = original), ``updated_at`` (ISO-8601 UTC).
    """
    day = _as_date(day)
    # A str seed is hashed with SHA-512 (not hash()), so it is stable across processes.
    rng = random.Random(f"airkit-events:{day.isoformat()}")
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
    count = rng.randint(MIN_EVENTS, MAX_EVENTS)
    users = rng.sample(USERS, rng.randint(8, len(USERS)))

    originals: list[dict[str, Any]] = []
    for _ in range(count):
        occurred = midnight + dt.timedelta(seconds=rng.randrange(86400))
        event_type = rng.choices(EVENT_TYPES, weights=_TYPE_WEIGHTS)[0]
        originals.append(
            {
                "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "user": rng.choice(users),
                "event_type": event_type,
                "occurred_at": _iso(occurred),
                "amount": _amount(rng, event_type),
                "date": day.isoformat(),
                "version": 1,
                "updated_at": _iso(occurred + dt.timedelta(seconds=rng.randint(0, 300))),
            }
        )

    feed = list(originals)
    for original in rng.sample(originals, max(1, round(count * _CORRECTION_RATE))):
        latest = original
        # Now and then an event is corrected twice.
        for _ in range(rng.choice((1, 1, 1, 2))):
            fix = dict(latest)
            fix["version"] = latest["version"] + 1
            updated = dt.datetime.fromisoformat(latest["updated_at"])
            fix["updated_at"] = _iso(updated + dt.timedelta(hours=rng.randint(1, 36)))
            if fix["event_type"] in _PRICED:
                fix["amount"] = _amount(rng, fix["event_type"])
            else:
                fix["event_type"] = rng.choice([t for t in EVENT_TYPES if t != fix["event_type"]])
                fix["amount"] = _amount(rng, fix["event_type"])
            feed.append(fix)
            latest = fix
    feed.extend(dict(r) for r in rng.sample(feed, max(1, round(count * _DUPLICATE_RATE))))
    # Shuffled, so a correction sometimes arrives *before* the version it replaces: "last
    # one in the file wins" is not a valid dedup rule, the version is.
    rng.shuffle(feed)
    return feed


def generate_range(start_date: DateLike, end_date: DateLike) -> list[dict[str, Any]]:
    """Feed for ``start_date <= day < end_date`` (end exclusive, like ds / next_ds)."""
    day, end = _as_date(start_date), _as_date(end_date)
    events: list[dict[str, Any]] = []
    while day < end:
        events.extend(generate_events(day))
        day += dt.timedelta(days=1)
    return events


def _newest(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return a if (a["version"], a["updated_at"]) >= (b["version"], b["updated_at"]) else b


def expected_events(day: DateLike) -> list[dict[str, Any]]:
    """Rows ``events`` must hold for ``day`` after a correct load, ordered by event_id.

    One row per event_id (the latest version), keyed by warehouse column names and typed
    as psycopg2 returns them (``Decimal`` amount, aware ``datetime``, ``date`` day), so a
    test can compare ``cursor.fetchall()`` dicts with ``==``.
    """
    latest: dict[str, dict[str, Any]] = {}
    for event in generate_events(day):
        seen = latest.get(event["event_id"])
        latest[event["event_id"]] = event if seen is None else _newest(seen, event)
    return [
        {
            "event_id": e["event_id"],
            "user_id": e["user"],
            "event_type": e["event_type"],
            "occurred_at": dt.datetime.fromisoformat(e["occurred_at"]),
            "amount": Decimal(str(e["amount"])).quantize(Decimal("0.01")),
            "day": dt.date.fromisoformat(e["date"]),
            "version": e["version"],
            "updated_at": dt.datetime.fromisoformat(e["updated_at"]),
        }
        for _, e in sorted(latest.items())
    ]


def expected_daily_stats(day: DateLike) -> list[dict[str, Any]]:
    """Rows ``daily_stats`` must hold for ``day``, ordered by user_id.

    Per user: ``event_count`` (distinct events after dedup) and ``total_amount``
    (``Decimal``, sum of the latest amounts).
    """
    counts: dict[str, int] = defaultdict(int)
    totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for row in expected_events(day):
        counts[row["user_id"]] += 1
        totals[row["user_id"]] += row["amount"]
    return [
        {"day": _as_date(day), "user_id": user, "event_count": counts[user], "total_amount": totals[user]}
        for user in sorted(counts)
    ]


def feed_summary(day: DateLike) -> dict[str, int]:
    """How messy the feed for ``day`` is: records served, distinct events, duplicates, corrections."""
    feed = generate_events(day)
    distinct = {e["event_id"] for e in feed}
    versions = {(e["event_id"], e["version"]) for e in feed}
    return {
        "records": len(feed),
        "distinct_events": len(distinct),
        "exact_duplicates": len(feed) - len(versions),
        "corrections": len(versions) - len(distinct),
    }
