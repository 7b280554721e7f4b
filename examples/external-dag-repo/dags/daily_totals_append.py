"""
### daily_totals_append: the same aggregate, appended — the bug, kept on purpose

Computes exactly what `daily_totals_upsert` computes (`sql/aggregate_day.sql`) but writes it
with a plain `INSERT` into `daily_totals_appended`, a table without a key.

```
create_table ──> append_totals
```

**Not idempotent.** Every rerun of a day adds its rows again: clear a run once and the day's
rows double, and every sum over the table is wrong from then on. Nothing fails, nothing
alerts. `tests/test_daily_totals.py` shows that the harness's `assert_idempotent` catches it,
with the duplicated rows in its message. Fix: an upsert on a key (`daily_totals_upsert`), or
delete the day and insert it in one transaction.
"""

from __future__ import annotations

import os

import pendulum
from airflow.providers.common.compat.sdk import dag
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

from airkit import dag_defaults, failure_callbacks

# Beside the DAGs: the stack mounts only this repository's DAG folder (see daily_totals_upsert).
SQL_DIR = os.path.join(os.path.dirname(__file__), "sql")
WAREHOUSE_CONN_ID = "warehouse_default"


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    template_searchpath=[SQL_DIR],
    doc_md=__doc__,
    tags=["team:analytics", "domain:orders", "lesson:idempotency", "anti-pattern"],
)
def daily_totals_append():
    create_table = SQLExecuteQueryOperator(
        task_id="create_table",
        conn_id=WAREHOUSE_CONN_ID,
        sql="daily_totals_append/create_table.sql",
        do_xcom_push=False,  # DDL: nothing to return (and 3.3 pushes [("",)] where 2.11 pushes None)
    )
    append_totals = SQLExecuteQueryOperator(
        task_id="append_totals",
        conn_id=WAREHOUSE_CONN_ID,
        sql="daily_totals_append/append.sql",
        parameters={"day": "{{ ds }}"},
    )
    create_table >> append_totals


daily_totals_append()
