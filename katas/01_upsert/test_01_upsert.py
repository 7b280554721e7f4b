"""Kata 1's check: run load_orders, clear it, run it again; the table must not change."""
from __future__ import annotations

DAG_ID = "kata_01_upsert"
TABLES = ["kata_01_orders"]
LESSON = ("A task that writes must be idempotent. Airflow reruns tasks: retries, cleared tasks, "
          "backfills. A plain INSERT adds the rows again on each of them.")
HINT = ("Give kata_01_orders a key (order_id PRIMARY KEY) and write with "
        "INSERT ... ON CONFLICT (order_id) DO UPDATE SET ... (events_etl's load_events does it).")
EXPECT = "not idempotent"


def test_a_rerun_leaves_the_orders_as_they_were(kata, assert_idempotent):
    assert_idempotent(kata.dag_id, tables=TABLES)
