"""Kata 2's check: backfill two days, backfill them again; the days' totals must not change."""
from __future__ import annotations

DAG_ID = "kata_02_partition_overwrite"
TABLES = ["kata_02_daily_totals"]
LESSON = ("A task that writes a day's aggregates owns that day's partition and must replace it. "
          "Backfills are rerun whenever something upstream is fixed; appending adds the day again.")
HINT = ("In one transaction (WarehouseHook().transaction()): DELETE the day's rows, then INSERT "
        "them. events_etl's calculate_stats does it with airkit.operators.partition.overwrite_partition.")
EXPECT = "not idempotent"


def test_backfilling_twice_leaves_the_days_as_they_were(kata, assert_backfill_idempotent):
    # Only the backfilled days: the scheduler may add today's run once the DAG is unpaused.
    assert_backfill_idempotent(kata.dag_id, days=2, tables=TABLES, where="day BETWEEN %(start)s AND %(end)s")
