"""Fixtures of the lesson-DAG tests (helpers are in lessons.py)."""
from __future__ import annotations

import pytest

# DAGs these tests unpause; paused again once this package's tests are done, so their scheduled
# runs (a sensor poking for yesterday's file, ...) stop using the small machine while the rest of
# the suite runs.
LESSON_DAGS = ("operators_showcase", "dependency_isolation", "partner_file_sensor",
               "wait_for_events_etl", "daily_stats_consumer")


@pytest.fixture(scope="package", autouse=True)
def _pause_lesson_dags_afterwards(airflow_stack):
    yield
    for dag_id in LESSON_DAGS:
        airflow_stack.api.request("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"},
                                  json={"is_paused": True})
