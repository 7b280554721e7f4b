"""
### Kata 5: a run loads its own day, not "yesterday" (the logical date)

**Lesson: idempotency and backfills.** Seed: *Airflow task design*, "멱등성" (idempotency: the
same input, `{{ ds }}`, gives the same result whenever the task runs), and *Airflow 2.7
architecture and practices*, "태스크의 오류 처리와 재시도 설계" (read the same snapshot whenever
the task runs). The project's lesson: `events_etl` (the partition is `ds`).

`load_day` loads "yesterday": the day before the clock says now. That is right for exactly one
run, the one that runs on time. A backfill of last March, a rerun next week, a run that waited
for a busy worker past midnight: each loads the wrong day and leaves its own day empty.

**Your job:** make each run load the day it is for. Check with `make kata N=5`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults
from airkit.hooks.warehouse import WarehouseHook, create_table_once


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=0),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_05_logical_date():
    @task
    def load_day() -> str:
        day = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
        with WarehouseHook().transaction() as conn, conn.cursor() as cur:
            create_table_once(cur, "kata_05_loaded_days", "day date PRIMARY KEY, loaded_at timestamptz")
            cur.execute("INSERT INTO kata_05_loaded_days VALUES (%s, now()) "
                        "ON CONFLICT (day) DO UPDATE SET loaded_at = EXCLUDED.loaded_at", (day,))
        return day

    load_day()


kata_05_logical_date()
