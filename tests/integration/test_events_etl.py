"""events_etl on a live stack: correct, idempotent under reruns and backfills, and clean on bad input."""
from __future__ import annotations

import pytest

from checks import assert_day_matches_generator, days, warehouse_fingerprint

pytestmark = pytest.mark.integration

DAG_ID = "events_etl"


def run_day(stack, day: str, run_id: str, expect: str = "success") -> None:
    stack.api.trigger(DAG_ID, day, run_id)
    stack.api.wait_for_run(DAG_ID, run_id, timeout=300, expect=expect)


def test_a_run_loads_exactly_what_the_source_served(stack):
    day = "2024-03-05"
    run_day(stack, day, f"it_single_{day}")
    with stack.warehouse() as conn:
        assert_day_matches_generator(conn, day)


def test_clear_and_rerun_leaves_identical_tables(stack):
    day, run_id = "2024-03-06", "it_rerun_2024-03-06"
    run_day(stack, day, run_id)
    with stack.warehouse() as conn:
        before = warehouse_fingerprint(conn, [day])

    stack.api.clear(DAG_ID, run_id)
    stack.api.wait_for_run(DAG_ID, run_id, timeout=300)

    tries = {t: ti["try_number"] for t, ti in stack.api.task_instances(DAG_ID, run_id).items()}
    assert tries["load_events"] >= 2 and tries["calculate_stats"] >= 2, f"the rerun did not run: {tries}"
    with stack.warehouse() as conn:
        assert warehouse_fingerprint(conn, [day]) == before
        assert_day_matches_generator(conn, day)


def test_backfilling_a_week_twice_gives_identical_checksums(stack):
    week = days("2024-02-01", 7)
    stack.api.wait_for_dag(DAG_ID)

    def backfill(*extra: str) -> dict:
        result = stack.airflow("dags", "backfill", "-s", week[0], "-e", week[-1], *extra, DAG_ID, timeout=900)
        assert result.returncode == 0, f"backfill failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        with stack.warehouse() as conn:
            return warehouse_fingerprint(conn, week)

    first = backfill()
    second = backfill("--reset-dagruns", "--yes")
    assert second == first
    with stack.warehouse() as conn:
        for day in week:
            assert_day_matches_generator(conn, day)


def test_malformed_source_fails_fast_and_leaves_the_warehouse_unchanged(stack, events_api):
    day, run_id = "2024-03-20", "it_malformed_2024-03-20"
    # A healthy run first, so "unchanged" is checked against real data for that very day.
    run_day(stack, day, run_id)
    with stack.warehouse() as conn:
        before = warehouse_fingerprint(conn)

    events_api.arm("malformed", day=day)
    stack.api.clear(DAG_ID, run_id)
    stack.api.wait_for_run(DAG_ID, run_id, timeout=300, expect="failed")

    tis = stack.api.task_instances(DAG_ID, run_id)
    fetch = tis["fetch_events"]
    assert fetch["state"] == "failed"
    assert fetch["try_number"] == 2, "malformed input must fail at once, not be retried"
    assert tis["load_events"]["state"] == "upstream_failed"
    log = stack.api.task_log(DAG_ID, run_id, "fetch_events", 2)
    assert "AirflowFailException" in log and "JSON" in log, log[-2000:]
    with stack.warehouse() as conn:
        assert warehouse_fingerprint(conn) == before
