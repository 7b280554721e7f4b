"""
### Kata 5: a run loads its own day, not "yesterday" (the logical date)

**Reference solution.** The day comes from the run: `ds`, its logical date (the template
`{{ ds }}` in operators, the `ds` argument of a TaskFlow task). On time, in a backfill or in a
rerun a year later, the run for a day loads that day.
"""
from __future__ import annotations

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
    def load_day(ds: str | None = None) -> str:
        with WarehouseHook().transaction() as conn, conn.cursor() as cur:
            create_table_once(cur, "kata_05_loaded_days", "day date PRIMARY KEY, loaded_at timestamptz")
            cur.execute("INSERT INTO kata_05_loaded_days VALUES (%s, now()) "
                        "ON CONFLICT (day) DO UPDATE SET loaded_at = EXCLUDED.loaded_at", (ds,))
        return ds

    load_day()


kata_05_logical_date()
