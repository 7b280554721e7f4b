"""The job-heartbeat check against a real PostgreSQL `job` table (the columns Airflow's has)."""
from __future__ import annotations

import pytest

from airkit.stack import heartbeat


@pytest.fixture
def jobs(pg_conn, pg_dsn, pg_schema):
    """Insert job rows: (job_type, state, hostname, seconds since the last heartbeat)."""
    with pg_conn.cursor() as cur:
        cur.execute("CREATE TABLE job (id serial PRIMARY KEY, job_type text, state text, hostname text,"
                    " latest_heartbeat timestamptz)")

    def add(job_type: str, state: str, hostname: str, age_s: float) -> None:
        with pg_conn.cursor() as cur:
            cur.execute("INSERT INTO job (job_type, state, hostname, latest_heartbeat)"
                        " VALUES (%s, %s, %s, now() - make_interval(secs => %s))", (job_type, state, hostname, age_s))

    add.dsn = f"{pg_dsn}?options=-csearch_path%3D{pg_schema}"
    return add


def test_a_recent_heartbeat_of_a_running_job_is_healthy(jobs):
    jobs("TriggererJob", "running", "host-a", 3)
    assert heartbeat.verdict(jobs.dsn, "TriggererJob") == "healthy"
    assert heartbeat.verdict(jobs.dsn, "TriggererJob", "host-a") == "healthy"


def test_a_stale_heartbeat_another_host_or_a_finished_job_is_not(jobs):
    jobs("TriggererJob", "running", "host-a", 120)
    jobs("TriggererJob", "success", "host-b", 1)
    jobs("SchedulerJob", "running", "host-b", 1)
    assert heartbeat.verdict(jobs.dsn, "TriggererJob").startswith("last TriggererJob heartbeat 1")
    assert heartbeat.verdict(jobs.dsn, "TriggererJob", "host-b") == "no running TriggererJob on host-b"


def test_no_database_is_not_healthy(jobs):
    assert heartbeat.verdict("host=127.0.0.1 port=1 dbname=x user=x", "TriggererJob").startswith("not answering")
