"""
### Kata 7: bad data fails at once (no retries for what cannot heal)

**Reference solution.** Bad input raises `AirflowFailException`: the task fails on its first
try whatever `retries` says, with a message naming the bad orders, and the failure alert goes
out at once. Other exceptions (a dropped connection) are still retried.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import AirflowFailException, dag, task

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
            raise AirflowFailException(f"orders with a negative amount: {bad}")
        return len(orders)

    validate_orders()


kata_07_fail_fast()
