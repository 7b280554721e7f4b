"""
### Kata 2: a backfill run twice must not double the day's totals (partition overwrite)

**Lesson: idempotency of aggregates.** Seed: *Airflow task design*, "멱등성" (idempotency: a
task writing a partition overwrites it). The project's lesson: `events_etl`'s
`calculate_stats` (delete the day and load it again, in one transaction).

`aggregate_day` computes the day's sales per category and appends them to
`kata_02_daily_totals`. Backfill two days, then backfill them again (someone fixed a bug
upstream): every total is there twice, and a sum over the table doubles.

**Your job:** make the day's totals the day's *partition*: a rerun replaces it, readers never
see it half-written. Check with `make kata N=2`.
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
            cur.executemany("INSERT INTO kata_02_daily_totals (day, category, total) VALUES (%s, %s, %s)",
                            totals_of(ds))
        return len(totals_of(ds))

    aggregate_day()


kata_02_partition_overwrite()
