"""Warehouse assertions: contents compared with the generator's truth, and checksums."""
from __future__ import annotations

import datetime as dt

from psycopg2 import sql

from airkit.events.generator import expected_daily_stats, expected_events

# Ordered by the primary key, so equal tables give equal checksums whatever the load order.
TABLE_KEYS = {"events": ("event_id",), "daily_stats": ("day", "user_id")}


def days(start: str, count: int) -> list[str]:
    first = dt.date.fromisoformat(start)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range(count)]


def checksum(conn, table: str, day_list: list[str]) -> tuple[int, str]:
    """(row count, md5 of every row in key order) of some days.

    Always limited to days: the suite runs on several xdist workers that load other days into the same
    warehouse meanwhile, so a whole-table checksum changes under a test that changed nothing.
    """
    if not day_list:
        raise ValueError("checksum needs the days it covers")
    query = sql.SQL(
        "SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY {keys}), '')) AS digest "
        "FROM {table} t WHERE day = ANY(%(days)s::date[])"
    ).format(keys=sql.SQL(", ").join(map(sql.Identifier, TABLE_KEYS[table])), table=sql.Identifier(table))
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL AS present", (table,))
        if not cur.fetchone()["present"]:
            return (0, "absent")
        cur.execute(query, {"days": day_list})
        row = cur.fetchone()
    return row["n"], row["digest"]


def warehouse_fingerprint(conn, day_list: list[str]) -> dict:
    return {table: checksum(conn, table, day_list) for table in TABLE_KEYS}


def assert_day_matches_generator(conn, day: str) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM events WHERE day = %s ORDER BY event_id", (day,))
        events = [dict(r) for r in cur.fetchall()]
        cur.execute("SELECT * FROM daily_stats WHERE day = %s ORDER BY user_id", (day,))
        stats = [dict(r) for r in cur.fetchall()]
    expected = expected_events(day)
    assert len(events) == len(expected), f"{day}: {len(events)} event rows, expected {len(expected)}"
    assert events == expected, f"{day}: events differ from the generator's truth"
    assert stats == expected_daily_stats(day), f"{day}: daily_stats differ from the generator's truth"
