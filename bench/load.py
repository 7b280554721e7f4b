"""Bulk load into Postgres: the package's upsert and partition overwrite against the alternatives.

Every method loads the same synthetic events into a fresh copy of the events_etl ``events``
table (the DAG's own DDL: primary key + day index) in its own schema, so indexes and
constraints cost the same for all. The package's code is called as the operators call it:
``upsert_records`` (what PostgresUpsertOperator runs after validating its file),
``overwrite_partition`` (what PostgresPartitionOverwriteOperator runs, validation included),
and the whole of ``load_events`` (PostgresUpsertOperator.execute: landing file -> validated
rows -> committed upsert).

Two baselines, because "one COPY into the table" has two different costs:

- **server COPY**: COPY of text that is already in COPY format (the table's own
  ``COPY TO`` output, produced before the clock starts). Only the server's parsing, the
  inserts and the index maintenance are timed: the limit of this table on this server.
- **raw COPY**: ``copy_rows`` with the validated Python rows, as every airkit load does it;
  it includes serialising them to COPY text in Python, most of its time.

Every method is reported against both (``ratio_to_server_copy``, ``ratio_to_raw_copy``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.stats import rate, ratio, target

REPO = Path(__file__).resolve().parent.parent
DDL = REPO / "include" / "sql" / "events_etl" / "create_tables.sql"
DAY = "2024-01-03"
EVENT_TYPES = ("view", "click", "purchase", "refund")
#: Row-at-a-time baselines (pandas) are measured on at most this many rows: rows/s does not
#: depend on the size there, and 1M rows through executemany would take minutes.
SLOW_BASELINE_CAP = 100_000


def synthetic_events(n: int, day: str = DAY) -> list[dict[str, Any]]:
    """``n`` feed records of one day, shaped like the events API's (see airkit.events.generator)."""
    base = dt.datetime.fromisoformat(f"{day}T00:00:00+00:00")
    out = []
    for i in range(n):
        occurred = base + dt.timedelta(seconds=(i * 7) % 86_400)
        out.append({
            "event_id": f"e-{i:09d}",
            "user": f"user_{i % 997:04d}",
            "event_type": EVENT_TYPES[i % 4],
            "occurred_at": occurred.isoformat(),
            "amount": round((i % 10_000) / 100, 2),
            "date": day,
            "version": 1,
            "updated_at": (occurred + dt.timedelta(minutes=5)).isoformat(),
        })
    return out


class Warehouse:
    """Fresh schemas in one database, and the warehouse_default connection pointed at them."""

    def __init__(self, dsn: str):
        self.dsn = dsn

    def uri(self, schema: str) -> str:
        sep = "&" if "?" in self.dsn else "?"
        return f"{self.dsn}{sep}options={quote(f'-csearch_path={schema}', safe='')}"

    @contextmanager
    def schema(self) -> Iterator[str]:
        import os

        import psycopg2

        name = f"airkit_bench_{uuid.uuid4().hex[:10]}"
        with psycopg2.connect(self.dsn) as conn, conn.cursor() as cur:
            cur.execute(f'CREATE SCHEMA "{name}"')  # generated name, not input
            cur.execute(f'SET search_path TO "{name}"')
            cur.execute(DDL.read_text())
        conn.close()
        os.environ["AIRFLOW_CONN_WAREHOUSE_DEFAULT"] = self.uri(name)
        try:
            yield name
        finally:
            with psycopg2.connect(self.dsn) as conn, conn.cursor() as cur:
                cur.execute(f'DROP SCHEMA "{name}" CASCADE')
            conn.close()

    def count(self, schema: str) -> int:
        import psycopg2

        with psycopg2.connect(self.dsn, options=f"-csearch_path={schema}") as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM events")
            (n,) = cur.fetchone()
        conn.close()
        return n


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


#: The method names the ratios are computed against.
SERVER_COPY = "server COPY (pre-serialised text)"
RAW_COPY = "raw COPY (empty table)"
END_TO_END = "load_events, landing file to rows"


def run(dsn: str, sizes: list[int], log: Callable[[str], None] = print) -> dict[str, Any]:
    import psycopg2
    import psycopg2.extras
    from psycopg2 import sql

    from airkit.events.schema import EVENT_FIELDS, EVENT_KEY, EVENT_NEWEST_FIRST
    from airkit.hooks.warehouse import WarehouseHook, copy_rows
    from airkit.landing import write_atomic
    from airkit.operators.partition import overwrite_partition
    from airkit.operators.upsert import PostgresUpsertOperator, upsert_records
    from airkit.schema import validate_records

    wh = Warehouse(dsn)
    columns = [f.name for f in EVENT_FIELDS]
    copy_columns = sql.SQL(", ").join(map(sql.Identifier, columns))
    results: dict[str, Any] = {"sizes": {}, "targets": []}

    def load_events(path: Path) -> PostgresUpsertOperator:
        return PostgresUpsertOperator(
            task_id="load_events", source_path=str(path), table="events", fields=EVENT_FIELDS,
            key=EVENT_KEY, order_by=EVENT_NEWEST_FIRST, partition_column="day", partition_value=DAY,
        )

    # Warm-up, untimed: the first hook and operator use pays for imports and the connection lookup.
    warm = validate_records(synthetic_events(10), EVENT_FIELDS, key=EVENT_KEY)
    with wh.schema(), tempfile.TemporaryDirectory(prefix="airkit-bench-landing-") as landing:
        upsert_records(WarehouseHook(), table="events", fields=EVENT_FIELDS, key=EVENT_KEY, rows=warm)
        write_atomic(Path(landing) / "warm.json", json.dumps(synthetic_events(10)).encode())
        load_events(Path(landing) / "warm.json").execute(context={})

    for n in sizes:
        log(f"load: generating {n:,} synthetic events")
        records = synthetic_events(n)
        seconds, rows = _timed(lambda: validate_records(records, EVENT_FIELDS, key=EVENT_KEY,
                                                        partition=("day", DAY)))
        methods: dict[str, dict[str, Any]] = {}

        def record(name: str, count: int, secs: float, note: str = "") -> None:
            methods[name] = {"rows": count, "seconds": round(secs, 3), "rows_per_s": rate(count, secs),
                             "note": note}
            log(f"load: {n:>9,} {name:<36} {count:>9,} rows {secs:8.2f}s {rate(count, secs) or 0:12,.0f} rows/s")

        record("validation (pure Python)", n, seconds, "airkit.schema.validate_records; no database")

        with wh.schema() as s:
            def raw_copy() -> None:
                with psycopg2.connect(wh.uri(s)) as conn, conn.cursor() as cur:
                    copy_rows(cur, "events", columns, rows)
                conn.close()
            raw_secs, _ = _timed(raw_copy)
            assert wh.count(s) == n
            # The same rows as the server writes them in COPY format: the input of the
            # server-only baseline, made before its clock starts.
            text = io.BytesIO()
            with psycopg2.connect(wh.uri(s)) as conn, conn.cursor() as cur:
                cur.copy_expert(sql.SQL("COPY events ({}) TO STDOUT").format(copy_columns).as_string(cur), text)
            conn.close()

        with wh.schema() as s:
            def server_copy() -> None:
                text.seek(0)
                with psycopg2.connect(wh.uri(s)) as conn, conn.cursor() as cur:
                    cur.copy_expert(sql.SQL("COPY events ({}) FROM STDIN").format(copy_columns).as_string(cur), text)
                conn.close()
            secs, _ = _timed(server_copy)
            assert wh.count(s) == n
            record(SERVER_COPY, n, secs, "the server's limit: COPY of text already in COPY format, no Python")
            record(RAW_COPY, n, raw_secs, "copy_rows: Python serialises the rows to COPY text, then one COPY")
            del text

        with wh.schema() as s, tempfile.TemporaryDirectory(prefix="airkit-bench-landing-") as landing:
            # What fetch_events leaves behind; writing it is not part of the load.
            path = Path(landing) / f"{DAY}.json"
            write_atomic(path, json.dumps(records).encode())
            operator = load_events(path)
            secs, out = _timed(lambda: operator.execute(context={}))
            assert out["inserted"] == n and wh.count(s) == n, out
            record(END_TO_END, n, secs, "PostgresUpsertOperator: read JSON, validate, upsert, commit")

        with wh.schema() as s:
            hook = WarehouseHook()
            kwargs = dict(table="events", fields=EVENT_FIELDS, key=EVENT_KEY, rows=rows,
                          order_by=EVENT_NEWEST_FIRST)
            secs, out = _timed(lambda: upsert_records(hook, **kwargs))
            assert out["inserted"] == n, out
            record("airkit upsert (new keys)", n, secs, "COPY -> temp staging -> INSERT .. ON CONFLICT")
            secs, out = _timed(lambda: upsert_records(hook, **kwargs))
            assert out["updated"] == n and wh.count(s) == n, out
            record("airkit upsert (all-conflict rerun)", n, secs, "same batch again: every row conflicts")

        with wh.schema() as s:
            hook = WarehouseHook()
            kwargs = dict(table="events", partition_column="day", partition_value=DAY,
                          fields=EVENT_FIELDS, records=records, key=EVENT_KEY)
            secs, _ = _timed(lambda: overwrite_partition(hook, **kwargs))
            record("airkit partition overwrite (empty)", n, secs, "validation + DELETE + COPY, one transaction")
            secs, _ = _timed(lambda: overwrite_partition(hook, **kwargs))
            assert wh.count(s) == n
            record("airkit partition overwrite (replace)", n, secs, "replaces the day's rows")

        with wh.schema() as s:
            statement = (
                f"INSERT INTO events AS t ({', '.join(columns)}) VALUES %s ON CONFLICT (event_id) DO UPDATE SET "
                + ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[1:])
                + " WHERE (t.version, t.updated_at) <= (EXCLUDED.version, EXCLUDED.updated_at)"
            )

            def execute_values() -> None:
                with psycopg2.connect(wh.uri(s)) as conn, conn.cursor() as cur:
                    psycopg2.extras.execute_values(cur, statement, rows, page_size=1000)
                conn.close()
            secs, _ = _timed(execute_values)
            assert wh.count(s) == n
            record("execute_values upsert (page 1000)", n, secs, "psycopg2.extras, same ON CONFLICT")

        sample = rows[: min(n, SLOW_BASELINE_CAP)]
        for label, extra in (("pandas to_sql (default)", {}),
                             ("pandas to_sql (method='multi')", {"method": "multi", "chunksize": 1000})):
            import pandas as pd
            import sqlalchemy

            frame = pd.DataFrame.from_records(sample, columns=columns)
            with wh.schema() as s:
                engine = sqlalchemy.create_engine(wh.uri(s).replace("postgresql://", "postgresql+psycopg2://", 1))
                secs, _ = _timed(lambda: frame.to_sql("events", engine, if_exists="append", index=False, **extra))
                engine.dispose()
                assert wh.count(s) == len(sample)
            note = "plain INSERT (pandas cannot upsert)"
            if len(sample) < n:
                note += f"; measured on the first {len(sample):,} rows"
            record(label, len(sample), secs, note)

        server_rate = methods[SERVER_COPY]["rows_per_s"]
        copy_rate = methods[RAW_COPY]["rows_per_s"]
        for m in methods.values():
            m["ratio_to_server_copy"] = ratio(m["rows_per_s"], server_rate)
            m["ratio_to_raw_copy"] = ratio(m["rows_per_s"], copy_rate)
        up = methods["airkit upsert (new keys)"]["rows_per_s"]
        results["sizes"][str(n)] = methods
        results["targets"] += [
            target(f"load {n:,}: upsert / raw COPY", ratio(up, copy_rate), ">=", 0.5, "x"),
            target(f"load {n:,}: upsert / pandas to_sql default", ratio(up, methods["pandas to_sql (default)"]["rows_per_s"]),
                   ">=", 3.0, "x"),
        ]
        del records, rows, sample
    return results
