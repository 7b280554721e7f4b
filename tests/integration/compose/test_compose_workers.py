"""Compose only: three Celery workers share one backfill, and the warehouse is still exact.

Cost: ~3-5 min on 2 shared cores (two extra workers start, a 4-day backfill, scale back).
"""
from __future__ import annotations

import pytest

from airkit.stack import line

from tests.integration.checks import assert_day_matches_generator

pytestmark = [pytest.mark.integration, pytest.mark.compose_only]

DAG_ID = "events_etl"


@pytest.fixture
def three_workers(airflow_stack):
    airflow_stack.scale_workers(3)
    try:
        yield airflow_stack.containers("airflow-worker")
    finally:
        airflow_stack.scale_workers(1)


# Scaling back stops two workers, with whatever tasks of other tests they hold.
@pytest.mark.stack_exclusive
def test_three_workers_share_one_backfill(airflow_stack, three_workers, unique_logical_date):
    assert len(three_workers) == 3, three_workers
    span = unique_logical_date.span(4)
    airflow_stack.api.wait_for_dag(DAG_ID)

    result = airflow_stack.backfill(DAG_ID, span[0], span[-1], timeout=1200)
    assert result.returncode == 0, f"backfill failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ti.hostname, count(*) AS n FROM task_instance ti JOIN dag_run dr "
            "ON dr.dag_id = ti.dag_id AND dr.run_id = ti.run_id "
            f"WHERE ti.dag_id = %s AND dr.{line.DAG_RUN_DATE_COLUMN}::date = ANY(%s::date[]) AND ti.state = 'success' "
            "GROUP BY ti.hostname",
            (DAG_ID, span),
        )
        per_host = {row["hostname"]: row["n"] for row in cur.fetchall()}
    assert len(per_host) >= 2, f"every task instance ran on one worker: {per_host}"
    with airflow_stack.warehouse() as conn:
        for day in span:
            assert_day_matches_generator(conn, day)
