"""
### Kata 1: a rerun must not duplicate rows (plain INSERT -> upsert)

**Reference solution.** The table has a key (`order_id`), and the load is an upsert:
`INSERT ... ON CONFLICT (order_id) DO UPDATE`. A rerun writes the same rows over themselves;
a corrected order from the source replaces the old one instead of sitting beside it.
"""
from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults
from airkit.hooks.warehouse import WarehouseHook, create_table_once


def orders_of(ds: str) -> list[tuple[str, str, str]]:
    """The source's orders of day `ds` (order_id, day, amount): the same on every call."""
    return [(f"{ds}-A", ds, "10.00"), (f"{ds}-B", ds, "25.50"), (f"{ds}-C", ds, "7.25")]


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=0),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_01_upsert():
    @task
    def load_orders(ds: str | None = None) -> int:
        with WarehouseHook().transaction() as conn, conn.cursor() as cur:
            create_table_once(cur, "kata_01_orders",
                              "order_id text PRIMARY KEY, day date NOT NULL, amount numeric(10, 2) NOT NULL")
            cur.executemany("INSERT INTO kata_01_orders (order_id, day, amount) VALUES (%s, %s, %s) "
                            "ON CONFLICT (order_id) DO UPDATE SET day = EXCLUDED.day, amount = EXCLUDED.amount",
                            orders_of(ds))
        return len(orders_of(ds))

    load_orders()


kata_01_upsert()
