"""
### Kata 2: a backfill run twice must not double the day's totals (partition overwrite)

**Reference solution.** The day is a partition: one transaction deletes it and inserts the
day's rows again. A rerun replaces the day (even a category that disappeared upstream goes,
which an upsert would keep), other days are untouched, and readers see the old day or the new
one, never an empty one.
"""
from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults
from airkit.hooks.warehouse import WarehouseHook, create_table_once


def totals_of(ds: str) -> list[tuple[str, str, str]]:
    """The day's (day, category, total), as the source computes them: the same on every call."""
    day = int(ds[-2:])
    return [(ds, "books", f"{100 + day}.00"), (ds, "games", f"{40 + 2 * day}.50")]


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=0),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_02_partition_overwrite():
    @task
    def aggregate_day(ds: str | None = None) -> int:
        with WarehouseHook().transaction() as conn, conn.cursor() as cur:
            create_table_once(cur, "kata_02_daily_totals",
                              "day date NOT NULL, category text NOT NULL, total numeric(12, 2) NOT NULL")
            cur.execute("DELETE FROM kata_02_daily_totals WHERE day = %s", (ds,))
            cur.executemany("INSERT INTO kata_02_daily_totals (day, category, total) VALUES (%s, %s, %s)",
                            totals_of(ds))
        return len(totals_of(ds))

    aggregate_day()


kata_02_partition_overwrite()
