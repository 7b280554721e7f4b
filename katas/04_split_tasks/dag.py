"""
### Kata 4: a retry must not send the mail twice (one job per task)

**Lesson: atomicity.** Seed: *Airflow task design*, "원자성" (atomicity: `calculate_stats`
that also mails breaks it; split it into `calculate_stats >> send_stats`). The project's
lesson: `events_etl`'s `calculate_stats` and `send_stats`.

`calculate_and_send` computes the day's stats, mails them to `ALERT_EMAIL_TO`, then saves them
to `kata_04_stats`. When the save fails once (trigger with conf `{"fail_save_once": true}`:
a dropped connection), Airflow retries the task and the team gets the mail twice. Had the
save failed for good, they would have a mail about stats that were never saved.

**Your job:** whatever fails and is retried, the mail goes out once, and only for saved
stats. Check with `make kata N=4`.
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
    def calculate_and_send(ds: str | None = None, dag_run=None, ti=None) -> dict:
        stats = stats_of(ds)
        send_text_report(to=os.environ.get("ALERT_EMAIL_TO"), subject=f"[kata 4] stats for {ds}",
                         body=f"orders: {stats['orders']}, customers: {stats['customers']}")
        if (dag_run.conf or {}).get("fail_save_once") and ti.try_number == 1:
            raise ConnectionError("the warehouse dropped the connection (simulated, first try only)")
        save(ds, stats)
        return stats

    calculate_and_send()


kata_04_split_tasks()
