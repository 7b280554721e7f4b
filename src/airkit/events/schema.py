"""How the events feed maps onto the warehouse tables (see include/sql/events_etl/)."""

from __future__ import annotations

from airkit.schema import Field

#: ``events``: one row per event_id, the latest version wins. The feed calls the user
#: ``user`` (a reserved word in SQL) and the day ``date``; the warehouse says user_id / day.
EVENT_FIELDS: tuple[Field, ...] = (
    Field("event_id", "text"),
    Field("user_id", "text", source="user"),
    Field("event_type", "text"),
    Field("occurred_at", "timestamptz"),
    Field("amount", "numeric"),
    Field("day", "date", source="date"),
    Field("version", "integer"),
    Field("updated_at", "timestamptz"),
)
EVENT_KEY: tuple[str, ...] = ("event_id",)
#: Which of two versions of an event is newer: higher version, then later updated_at.
EVENT_NEWEST_FIRST: tuple[str, ...] = ("version", "updated_at")

#: ``daily_stats``: one row per (day, user_id), replaced a whole day at a time.
DAILY_STATS_FIELDS: tuple[Field, ...] = (
    Field("day", "date"),
    Field("user_id", "text"),
    Field("event_count", "integer"),
    Field("total_amount", "numeric"),
)
DAILY_STATS_KEY: tuple[str, ...] = ("day", "user_id")
