"""
### Kata 4: a retry must not send the mail twice (one job per task)

**Reference solution.** Two tasks, one job each: `calculate_stats` saves the stats (and is
retried alone when the save fails); `send_stats` runs only after the save succeeded and mails
what was committed. A failed mail shows as its own failed task, retried without touching the
stats.
"""
from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults
from airkit.hooks.warehouse import WarehouseHook, create_table_once
from airkit.notifiers import send_text_report


def stats_of(ds: str) -> dict[str, int]:
    """The day's stats: the same on every call."""
    return {"orders": 40 + int(ds[-2:]), "customers": 12}


def save(ds: str, stats: dict[str, int]) -> None:
    with WarehouseHook().transaction() as conn, conn.cursor() as cur:
        create_table_once(cur, "kata_04_stats", "day date PRIMARY KEY, orders int, customers int")
        cur.execute("INSERT INTO kata_04_stats VALUES (%(day)s, %(orders)s, %(customers)s) ON CONFLICT (day) "
                    "DO UPDATE SET orders = EXCLUDED.orders, customers = EXCLUDED.customers", {"day": ds, **stats})


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=1, retry_delay=timedelta(seconds=2)),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_04_split_tasks():
    @task
    def calculate_stats(ds: str | None = None, dag_run=None, ti=None) -> None:
        if (dag_run.conf or {}).get("fail_save_once") and ti.try_number == 1:
            raise ConnectionError("the warehouse dropped the connection (simulated, first try only)")
        save(ds, stats_of(ds))

    @task
    def send_stats(ds: str | None = None) -> dict:
        with WarehouseHook().transaction() as conn, conn.cursor() as cur:
            cur.execute("SELECT orders, customers FROM kata_04_stats WHERE day = %s", (ds,))
            orders, customers = cur.fetchone()
        send_text_report(to=os.environ.get("ALERT_EMAIL_TO"), subject=f"[kata 4] stats for {ds}",
                         body=f"orders: {orders}, customers: {customers}")
        return {"orders": orders, "customers": customers}

    calculate_stats() >> send_stats()


kata_04_split_tasks()
