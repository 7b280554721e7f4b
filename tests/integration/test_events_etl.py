"""events_etl on a live stack: correct, idempotent under reruns and backfills, and clean on bad input."""
from __future__ import annotations

import pytest

from tests.integration.checks import assert_day_matches_generator, warehouse_fingerprint

pytestmark = pytest.mark.integration

DAG_ID = "events_etl"
TABLES = ["events", "daily_stats"]


def test_a_run_loads_exactly_what_the_source_served(run_dag, warehouse):
    run = run_dag(DAG_ID)
    assert_day_matches_generator(warehouse, run.logical_date)


def test_clear_and_rerun_leaves_identical_tables(assert_idempotent, warehouse):
    run = assert_idempotent(DAG_ID, tables=TABLES, where="day = %(logical_date)s")
    tries = run.tries
    assert tries["load_events"] >= 2 and tries["calculate_stats"] >= 2, f"the rerun did not run: {tries}"
    assert_day_matches_generator(warehouse, run.logical_date)


def test_backfilling_twice_gives_identical_checksums(assert_backfill_idempotent, warehouse):
    backfill = assert_backfill_idempotent(DAG_ID, days=3, tables=TABLES, where="day BETWEEN %(start)s AND %(end)s")
    for day in backfill.days:
        assert_day_matches_generator(warehouse, day)


def test_malformed_source_fails_fast_and_leaves_the_warehouse_unchanged(run_dag, airflow_api, warehouse,
                                                                         events_api):
    # A healthy run first, so "unchanged" is checked against real data for that very day.
    run = run_dag(DAG_ID)
    day = [run.logical_date]
    before = warehouse_fingerprint(warehouse, day)

    events_api.arm("malformed", day=run.logical_date)
    airflow_api.clear(DAG_ID, run.run_id)
    airflow_api.wait_for_run(DAG_ID, run.run_id, timeout=300, expect="failed")

    tis = run.task_instances
    fetch = tis["fetch_events"]
    assert fetch["state"] == "failed"
    assert fetch["try_number"] == 2, "malformed input must fail at once, not be retried"
    assert tis["load_events"]["state"] == "upstream_failed"
    log = run.log("fetch_events", 2)
    assert "AirflowFailException" in log and "JSON" in log, log[-2000:]
    assert warehouse_fingerprint(warehouse, day) == before
