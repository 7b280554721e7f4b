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


class _GoneRun:
    """An Airflow 3 event whose producer run was deleted: the lazy lookup raises, as the SDK does."""

    def __init__(self, status_code: int):
        self.source_dag_id, self.source_run_id = "events_etl", "fault_clean_2024-02-12"
        self._status_code = status_code

    @property
    def source_dag_run(self):
        error = SimpleNamespace(detail={"status_code": self._status_code, "message": "Server returned error"})
        exc = RuntimeError(f"API_SERVER_ERROR: {error.detail}")
        exc.error = error
        raise exc


def test_a_deleted_producer_run_still_counts_as_covered(covered_days) -> None:
    covered = covered_days(triggering_asset_events={DAILY_STATS: [_GoneRun(404), EVENT]})
    assert covered == [{"uri": URI, "dag_id": "events_etl", "run_id": "fault_clean_2024-02-12", "day": None},
                       *COVERED]


def test_other_lookup_errors_still_fail_the_task(covered_days) -> None:
    with pytest.raises(RuntimeError, match="API_SERVER_ERROR"):
        covered_days(triggering_asset_events={DAILY_STATS: [_GoneRun(500)]})
