"""daily_stats_consumer reads its triggering events as Airflow 2 and Airflow 3 hand them over."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from airkit.datasets import DAILY_STATS

from .conftest import REPO_ROOT, dag_bag

URI = DAILY_STATS.uri
EVENT = SimpleNamespace(
    source_dag_id="events_etl",
    source_run_id="manual__2024-01-04",
    source_dag_run=SimpleNamespace(logical_date=datetime(2024, 1, 4, tzinfo=timezone.utc)),
)
COVERED = [{"uri": URI, "dag_id": "events_etl", "run_id": "manual__2024-01-04", "day": "2024-01-04"}]


@pytest.fixture(scope="module")
def covered_days():
    bag = dag_bag(REPO_ROOT / "dags" / "daily_stats_consumer.py")
    assert not bag.import_errors
    return bag.dags["daily_stats_consumer"].get_task("covered_days").python_callable


def test_airflow_2_events_keyed_by_uri(covered_days) -> None:
    assert covered_days(triggering_dataset_events={URI: [EVENT]}) == COVERED


def test_airflow_3_events_keyed_by_asset(covered_days) -> None:
    # Unchanged 2.x code returned [] here: Airflow 3 leaves triggering_dataset_events unset.
    assert covered_days(triggering_asset_events={DAILY_STATS: [EVENT]}) == COVERED


def test_a_producer_run_without_logical_date(covered_days) -> None:
    event = SimpleNamespace(**{**vars(EVENT), "source_dag_run": SimpleNamespace(logical_date=None)})
    assert covered_days(triggering_asset_events={DAILY_STATS: [event]})[0]["day"] is None
