"""overwrite_partition / PostgresPartitionOverwriteOperator against a real Postgres."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airkit.events.generator import expected_daily_stats
from airkit.events.schema import DAILY_STATS_FIELDS, DAILY_STATS_KEY
from airkit.hooks import warehouse as warehouse_module
from airkit.hooks.warehouse import WarehouseHook
from airkit.operators.partition import PostgresPartitionOverwriteOperator, overwrite_partition

from ..conftest import fetch_dicts, table_checksum

DAY, OTHER = "2024-01-03", "2024-01-02"


def stats(day: str, scale: int = 1) -> list[dict]:
    return [{**r, "event_count": r["event_count"] * scale} for r in expected_daily_stats(day)]


def overwrite(day: str, records: list[dict]) -> int:
    return overwrite_partition(
        WarehouseHook(),
        table="daily_stats",
        partition_column="day",
        partition_value=day,
        fields=DAILY_STATS_FIELDS,
        key=DAILY_STATS_KEY,
        records=records,
    )


def day_rows(conn, day: str) -> list[dict]:
    return fetch_dicts(conn, "SELECT * FROM daily_stats WHERE day = %(d)s ORDER BY user_id", {"d": day})


def checksum(conn):
    return table_checksum(conn, "daily_stats", "day, user_id")


@pytest.fixture
def two_days(warehouse):
    overwrite(OTHER, stats(OTHER))
    overwrite(DAY, stats(DAY))
    return warehouse


def test_overwrite_replaces_only_its_partition(two_days) -> None:
    assert overwrite(DAY, stats(DAY, scale=2)) == len(stats(DAY))
    assert day_rows(two_days, DAY) == stats(DAY, scale=2)
    assert day_rows(two_days, OTHER) == expected_daily_stats(OTHER)


def test_overwrite_twice_gives_an_identical_table(two_days) -> None:
    before = checksum(two_days)
    overwrite(DAY, stats(DAY))
    overwrite(DAY, stats(DAY))
    assert checksum(two_days) == before


def test_rows_that_disappeared_are_removed(two_days) -> None:
    overwrite(DAY, stats(DAY)[:1])
    assert len(day_rows(two_days, DAY)) == 1


def test_failure_after_the_delete_leaves_the_old_partition(two_days, monkeypatch: pytest.MonkeyPatch) -> None:
    before = checksum(two_days)
    seen_inside = {}

    def copy_then_crash(cur, table, columns, rows):
        # Prove the failure is really mid-way: inside the transaction the day is gone.
        cur.execute("SELECT count(*) FROM daily_stats WHERE day = %(d)s", {"d": DAY})
        seen_inside["rows"] = cur.fetchone()[0]
        raise RuntimeError("worker died during COPY")

    monkeypatch.setattr(warehouse_module, "copy_rows", copy_then_crash)
    with pytest.raises(RuntimeError, match="worker died"):
        overwrite(DAY, stats(DAY, scale=2))
    assert seen_inside["rows"] == 0
    assert checksum(two_days) == before
    assert day_rows(two_days, DAY) == expected_daily_stats(DAY)


def test_database_rejection_mid_load_leaves_the_old_partition(two_days) -> None:
    before = checksum(two_days)
    bad = stats(DAY)
    bad[-1]["event_count"] = -1  # violates CHECK (event_count >= 0) on the last COPY row
    with pytest.raises(AirflowFailException, match="old partition is unchanged"):
        overwrite(DAY, bad)
    assert checksum(two_days) == before


def test_rows_of_another_partition_are_refused(two_days) -> None:
    before = checksum(two_days)
    with pytest.raises(AirflowFailException, match="row outside partition day=2024-01-03"):
        overwrite(DAY, stats(DAY) + stats(OTHER)[:1])
    assert checksum(two_days) == before


def test_empty_input_empties_the_partition(two_days) -> None:
    assert overwrite(DAY, []) == 0
    assert day_rows(two_days, DAY) == []
    assert day_rows(two_days, OTHER) == expected_daily_stats(OTHER)


def test_operator_loads_a_landing_file(two_days, tmp_path: Path) -> None:
    path = tmp_path / "stats.json"
    records = [{**r, "day": str(r["day"]), "total_amount": str(r["total_amount"])} for r in stats(DAY, scale=3)]
    for r in records:
        r["total_amount"] = float(r["total_amount"])
    path.write_text(json.dumps(records))
    op = PostgresPartitionOverwriteOperator(
        task_id="t",
        source_path=str(path),
        table="daily_stats",
        partition_column="day",
        partition_value=DAY,
        fields=DAILY_STATS_FIELDS,
        key=DAILY_STATS_KEY,
    )
    assert op.execute(context={}) == len(records)
    assert day_rows(two_days, DAY) == stats(DAY, scale=3)
    assert set(PostgresPartitionOverwriteOperator.template_fields) == {"source_path", "table", "partition_value"}
