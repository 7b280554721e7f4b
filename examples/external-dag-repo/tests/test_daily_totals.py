"""The daily_totals DAGs on a live airkit stack, through the airkit pytest plugin's fixtures only.

No conftest.py: the plugin comes with the airkit package (pytest11 entry point), and
pyproject.toml's `addopts = "--airkit-dags-dir=dags"` makes the stack load this repository's
DAGs. Every test gets logical dates no other test uses, so they never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from psycopg2 import sql

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ONE_DAY = "day = %(logical_date)s"


def expected_totals(day: str) -> dict[str, tuple[int, Decimal]]:
    """category -> (orders, amount) for `day`, computed here independently of the DAGs' SQL
    (sql/aggregate_day.sql), so the tests check what was written, not only that it is stable."""
    date = dt.date.fromisoformat(day)
    orders, amounts = Counter(), Counter()
    for n in range(1, 20 + date.day + 1):
        category = f"category_{n % 3}"
        orders[category] += 1
        amounts[category] += Decimal(n * date.timetuple().tm_yday % 97) + Decimal("0.50")
    return {c: (orders[c], amounts[c]) for c in orders}


def written_totals(warehouse, table: str, day: str) -> list[tuple[str, int, Decimal]]:
    with warehouse.cursor() as cur:
        # An identifier is quoted as one, a value goes in as a bind parameter: no SQL from f-strings.
        cur.execute(sql.SQL("SELECT category, orders, amount FROM {} WHERE day = %(day)s ORDER BY 1")
                    .format(sql.Identifier(table)), {"day": day})
        return [(r["category"], r["orders"], r["amount"]) for r in cur.fetchall()]


def test_the_upsert_dag_is_idempotent(assert_idempotent, warehouse):
    run = assert_idempotent("daily_totals_upsert", tables=["daily_totals"], where=ONE_DAY)
    # Identical checksums would also hold for a DAG that writes nothing: check the contents.
    expected = expected_totals(run.logical_date)
    assert written_totals(warehouse, "daily_totals", run.logical_date) == [
        (category, *expected[category]) for category in sorted(expected)]


def test_the_harness_catches_the_appending_dag(assert_idempotent, unique_logical_date, warehouse):
    day = unique_logical_date()
    with pytest.raises(AssertionError) as caught:
        assert_idempotent("daily_totals_append", day, tables=["daily_totals_appended"], where=ONE_DAY)
    message = str(caught.value)

    # The table really holds every row of the day twice: the first run's and the rerun's.
    expected = expected_totals(day)
    written = written_totals(warehouse, "daily_totals_appended", day)
    assert Counter(written) == Counter({(c, *totals): 2 for c, totals in expected.items()}), written
    with warehouse.cursor() as cur:
        cur.execute("SELECT t::text AS row FROM daily_totals_appended t WHERE day = %(day)s", {"day": day})
        rows = {r["row"] for r in cur.fetchall()}

    # ... and the failure says so: which DAG and table, the row counts doubling, and exactly
    # the day's rows as the ones the rerun added ("+ "), none as lost ("- ").
    assert "not idempotent" in message and "daily_totals_append" in message, message
    categories = len(expected)
    assert (f"daily_totals_appended: {categories} rows -> {2 * categories} rows "
            f"(0 only before, {categories} only after)") in message, message
    lines = [line.strip() for line in message.splitlines()]
    assert sorted(line[2:] for line in lines if line.startswith("+ ")) == sorted(rows), message
    assert not [line for line in lines if line.startswith("- ")], message


def test_a_dag_file_that_does_not_import_fails_with_the_parsers_message(dag_file):
    with pytest.raises(AssertionError) as caught:
        dag_file(FIXTURES / "fixture_broken_import.py")
    message = str(caught.value)
    assert "fixture_broken_import.py does not import" in message, message
    # The DAG processor's own traceback, naming the missing module.
    assert "ModuleNotFoundError" in message and "daily_totals_helpers_missing" in message, message


def test_an_extra_dag_file_runs_and_reaches_the_same_warehouse(dag_file, run_dag, warehouse):
    dag = dag_file(FIXTURES / "fixture_warehouse_probe.py")
    assert dag["is_active"] and dag["dag_id"] == "fixture_warehouse_probe"
    run = run_dag("fixture_warehouse_probe")
    with warehouse.cursor() as cur:
        cur.execute("SELECT current_database() AS name")
        assert run.xcom("probe") == cur.fetchone()["name"]


def test_backfilling_the_upsert_dag_twice_gives_identical_tables(assert_backfill_idempotent, warehouse):
    backfill = assert_backfill_idempotent("daily_totals_upsert", days=2, tables=["daily_totals"],
                                          where="day BETWEEN %(start)s AND %(end)s")
    assert len(backfill.days) == 2
    for day in backfill.days:
        expected = expected_totals(day)
        assert written_totals(warehouse, "daily_totals", day) == [
            (category, *expected[category]) for category in sorted(expected)]
