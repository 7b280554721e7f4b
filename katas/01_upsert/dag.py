"""
### Kata 1: a rerun must not duplicate rows (plain INSERT -> upsert)

**Lesson: idempotency.** Seed: *Airflow task design*, "멱등성" (idempotency), and *Airflow 2.7
architecture and practices*, "태스크의 오류 처리와 재시도 설계" (error handling and retries: a
plain INSERT inserts again on every retry; use an UPSERT). The project's lesson: `events_etl`'s
`load_events`.

`load_orders` loads the day's orders into `kata_01_orders`. Run it, then clear the task (as a
retry, a rerun or a backfill does): every order is there twice.

**Your job:** make a rerun leave the table exactly as the first run left it. Check with
`make kata N=1`.
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
                              "order_id text NOT NULL, day date NOT NULL, amount numeric(10, 2) NOT NULL")
            cur.executemany("INSERT INTO kata_01_orders (order_id, day, amount) VALUES (%s, %s, %s)",
                            orders_of(ds))
        return len(orders_of(ds))

    load_orders()


kata_01_upsert()
