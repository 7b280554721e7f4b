from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from airkit.hooks.warehouse import WarehouseHook, copy_rows, table_identifier

AWKWARD = ["tab\there", "new\nline", "back\\slash", "\\N", "", "crlf\r\n", "ünïcode"]


def test_copy_round_trips_awkward_values_and_nulls(pg_conn) -> None:
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE t (n int, s text, d date, ts timestamptz, x numeric, b boolean)")
        rows = [(i, s, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), Decimal("1.5"), True)
                for i, s in enumerate(AWKWARD)]
        rows.append((99, None, None, None, None, None))
        copy_rows(cur, "t", ["n", "s", "d", "ts", "x", "b"], rows)
        cur.execute("SELECT n, s, d, ts, x, b FROM t ORDER BY n")
        assert cur.fetchall() == rows


def test_default_connection_and_transaction(pg_schema) -> None:
    hook = WarehouseHook()
    assert hook.postgres_conn_id == "warehouse_default"
    with pytest.raises(RuntimeError), hook.transaction() as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE rolled_back (x int)")
        raise RuntimeError("boom")
    assert conn.closed
    assert hook.fetch_dataframe(
        "SELECT count(*) AS n FROM pg_tables WHERE tablename = %(t)s", {"t": "rolled_back"}
    )["n"].tolist() == [0]


@pytest.mark.parametrize("bad", ["", "a.b.c", ".t", "s."])
def test_table_identifier_rejects_odd_names(bad: str) -> None:
    with pytest.raises(ValueError):
        table_identifier(bad)


def test_table_identifier_quotes(pg_conn) -> None:
    assert table_identifier('my"schema.events').as_string(pg_conn) == '"my""schema"."events"'
