"""
### Kata 7: bad data fails at once (no retries for what cannot heal)

**Lesson: retries are for transient errors.** Seed: *Airflow 2.7 architecture and practices*,
"태스크의 오류 처리와 재시도 설계" (error handling and retries). The project's lessons:
`lesson_retries` and `lesson_fail_fast`.

`validate_orders` checks the batch (from the run's conf, `{"orders": [...]}`) and raises on an
order with a negative amount. Airflow cannot tell that from a dropped connection: it retries
twice, with waits, and the team hears about bad data only after every try failed, on data
that was never going to get better.

**Your job:** fail a bad batch on the first try, and keep retries for errors that can heal.
Check with `make kata N=7`.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=2, retry_delay=timedelta(seconds=2)),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_07_fail_fast():
    @task
    def validate_orders(dag_run=None) -> int:
        orders = (dag_run.conf or {}).get("orders", [{"id": "A", "amount": 10}])
        bad = [order["id"] for order in orders if order["amount"] < 0]
        if bad:
            raise ValueError(f"orders with a negative amount: {bad}")
        return len(orders)

    validate_orders()


kata_07_fail_fast()
