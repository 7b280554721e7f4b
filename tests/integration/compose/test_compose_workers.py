"""Compose only: three Celery workers share one backfill, and the warehouse is still exact.

Cost: ~3-5 min on 2 shared cores (two extra workers start, a 4-day backfill, scale back).
"""
from __future__ import annotations

import os

import pytest

from checks import assert_day_matches_generator, days

pytestmark = [
    pytest.mark.integration,
    pytest.mark.compose_only,
    pytest.mark.skipif(os.environ.get("RUNTIME", "local") != "compose",
                       reason="compose-only check: needs RUNTIME=compose (Docker Compose runtime)"),
]

DAG_ID = "events_etl"


@pytest.fixture
def three_workers(stack):
    stack.scale_workers(3)
    try:
        yield stack.containers("airflow-worker")
    finally:
        stack.scale_workers(1)


def test_three_workers_share_one_backfill(stack, three_workers):
    assert len(three_workers) == 3, three_workers
    span = days("2024-04-01", 4)
    stack.api.wait_for_dag(DAG_ID)

    result = stack.airflow("dags", "backfill", "-s", span[0], "-e", span[-1], DAG_ID, timeout=1200)
    assert result.returncode == 0, f"backfill failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    with stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ti.hostname, count(*) AS n FROM task_instance ti JOIN dag_run dr "
            "ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
            "WHERE ti.dag_id = %s AND dr.execution_date::date = ANY(%s::date[]) AND ti.state = 'success' "
            "GROUP BY ti.hostname",
            (DAG_ID, span),
        )
        per_host = {row["hostname"]: row["n"] for row in cur.fetchall()}
    assert len(per_host) >= 2, f"every task instance ran on one worker: {per_host}"
    with stack.warehouse() as conn:
        for day in span:
            assert_day_matches_generator(conn, day)
