from __future__ import annotations

import datetime as dt
import enum
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg2
import pytest
from tenacity import retry, retry_if_result, stop_after_delay, wait_fixed

from airkit.hooks.warehouse import (
    WarehouseHook,
    copy_rows,
    create_table_once,
    table_identifier,
)

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


class Level(enum.IntEnum):
    HIGH = 3


class Label(str):
    pass


def test_copy_takes_exact_types_fast_and_everything_else_the_general_way(pg_conn) -> None:
    # The fast path dispatches on exact types; bool (an int), IntEnum and str subclasses must
    # still come out as Postgres reads them, not as their int/str parents would.
    seoul = dt.timezone(dt.timedelta(hours=9))
    rows = [
        (1, 2**62, 0.1, dt.datetime(2024, 1, 1, 9, 30, tzinfo=seoul), False, Level.HIGH, Label("a\tb")),
        (2, -5, 1e-300, dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.timezone.utc), True, 0, "x"),
    ]
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE t (id int, big bigint, f double precision, ts timestamptz, b boolean,"
                    " lvl int, s text)")
        copy_rows(cur, "t", ["id", "big", "f", "ts", "b", "lvl", "s"], rows)
        cur.execute("SELECT id, big, f, ts, b, lvl, s FROM t ORDER BY id")
        assert cur.fetchall() == [tuple(int(v) if isinstance(v, Level) else v for v in r) for r in rows]


@pytest.mark.parametrize("provider_wants_psycopg3", [False, True], ids=["airflow-2", "airflow-3"])
def test_connections_are_psycopg2_with_the_connections_options(pg_schema, monkeypatch,
                                                                provider_wants_psycopg3) -> None:
    # On Airflow 3 (SQLAlchemy 2) the provider would connect with psycopg 3; the flag it
    # decides that by is flipped here, so both lines' paths run on this 2.x venv.
    from airflow.providers.postgres.hooks import postgres

    monkeypatch.setattr(postgres, "USE_PSYCOPG3", provider_wants_psycopg3)
    # Imported by the provider only when the flag is set at import time.
    monkeypatch.setattr(postgres, "register_default_adapters", lambda conn: None, raising=False)
    with WarehouseHook().transaction() as conn, conn.cursor() as cur:
        assert isinstance(conn, psycopg2.extensions.connection)
        cur.execute("SHOW search_path")
        assert cur.fetchone()[0] == pg_schema


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


def test_two_runs_creating_the_same_table_at_once_both_succeed(pg_dsn, pg_schema) -> None:
    # The race a backfill hits: the first creator has not committed when the second asks.
    # Without the advisory lock the second blocks on the catalog's unique index and fails
    # with UniqueViolation once the first commits.
    first, second = (psycopg2.connect(pg_dsn, options=f"-csearch_path={pg_schema}") for _ in range(2))
    columns = "day date PRIMARY KEY, total numeric"
    try:
        with first.cursor() as cur:
            create_table_once(cur, "daily", columns)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(_create_and_commit, second, columns)
            _wait_until_blocked(pg_dsn, second.get_backend_pid())
            first.commit()
            waiting.result(timeout=30)
        with first.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = 'daily'", (pg_schema,))
            assert cur.fetchone() == (1,)
    finally:
        first.close()
        second.close()


def _create_and_commit(conn, columns: str) -> None:
    with conn, conn.cursor() as cur:
        create_table_once(cur, "daily", columns)


@retry(retry=retry_if_result(lambda blocked: not blocked), stop=stop_after_delay(30), wait=wait_fixed(0.05))
def _wait_until_blocked(pg_dsn: str, pid: int) -> bool:
    with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", (pid,))
        row = cur.fetchone()
    conn.close()
    return bool(row and row[0])
