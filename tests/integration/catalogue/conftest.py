"""Fixtures of the lesson-DAG tests (helpers are in lessons.py)."""
from __future__ import annotations

import pytest

# DAGs these tests unpause; paused again afterwards so their scheduled runs stop using the
# (small, shared) machine once the tests are done with them.
LESSON_DAGS = ("operators_showcase", "dependency_isolation", "partner_file_sensor",
               "wait_for_events_etl", "daily_stats_consumer")


@pytest.fixture(scope="session", autouse=True)
def _pause_lesson_dags_afterwards(airflow_stack):
    yield
    for dag_id in LESSON_DAGS:
        airflow_stack.api.request("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"},
                          json={"is_paused": True})
