"""Organisation and platform targets: tags and docs through the REST API, db-clean, backfill."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from airkit.stack import project
from tests.integration.catalogue.lessons import make

pytestmark = pytest.mark.integration
NEVER_RUNS = Path(__file__).parent / "fixtures" / "fixture_never_runs.py"

TAG = re.compile(r"^(team|domain|lesson):[a-z0-9][a-z0-9-]*$")
DAG_IDS = sorted(p.stem for p in (project.root() / "dags").glob("*.py") if not p.name.startswith("_"))


# Alone on the stack: "every row inside the window is still there" cannot tell db-clean from a
# test that deletes its own runs at the same time.
@pytest.mark.stack_exclusive
def test_db_clean_removes_rows_older_than_the_retention_only(airflow_stack, dag_file, unique_logical_date):
    dag_id = dag_file(NEVER_RUNS)["dag_id"]  # paused: its runs stay queued, nothing executes
    tag = uuid.uuid4().hex[:8]
    old_run, new_run = f"it_dbclean_old_{tag}", f"it_dbclean_new_{tag}"
    for run_id in (old_run, new_run):
        day = unique_logical_date()
        airflow_stack.api.call("POST", f"/dags/{dag_id}/dagRuns",
                       json={"dag_run_id": run_id, "logical_date": f"{day}T00:00:00+00:00"})
    # Age rows the way time would: db clean judges each table by its own timestamp column
    # (dag_run.start_date, log.dttm), not by the logical date.
    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute("UPDATE dag_run SET start_date = now() - interval '400 days' WHERE run_id = %s", (old_run,))
        cur.execute("UPDATE dag_run SET start_date = now() - interval '10 days' WHERE run_id = %s", (new_run,))
        cur.execute("INSERT INTO log (dttm, dag_id, event, owner, extra) VALUES "
                    "(now() - interval '400 days', %s, %s, 'it', 'old'), (now() - interval '10 days', %s, %s, 'it', 'new')",
                    (dag_id, f"it_dbclean_{tag}", dag_id, f"it_dbclean_{tag}"))

    # Identities, not counts: the live scheduler and the CLI call itself add rows while this runs,
    # so "as many rows as before" could pass or fail by accident; "every row that was there" cannot.
    in_window = ("SELECT 'dag_run:' || id AS row FROM dag_run"
                 " WHERE start_date IS NULL OR start_date > now() - interval '29 days'"
                 " UNION ALL SELECT 'log:' || id FROM log WHERE dttm > now() - interval '29 days'")
    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute(in_window)
        in_window_before = {r["row"] for r in cur.fetchall()}

    make(airflow_stack, "db-clean", "RETENTION_DAYS=30")

    with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
        cur.execute("SELECT run_id FROM dag_run WHERE run_id IN (%s, %s)", (old_run, new_run))
        assert {r["run_id"] for r in cur.fetchall()} == {new_run}
        cur.execute("SELECT extra FROM log WHERE event = %s", (f"it_dbclean_{tag}",))
        assert {r["extra"] for r in cur.fetchall()} == {"new"}
        # Every row inside the retention window, whoever made it, is still there.
        cur.execute(in_window)
        missing = in_window_before - {r["row"] for r in cur.fetchall()}
        assert not missing, f"db-clean deleted rows inside the retention window: {sorted(missing)[:20]}"


def test_every_dag_is_tagged_and_documented_in_the_api(airflow_stack):
    for dag_id in DAG_IDS:
        airflow_stack.api.wait_for_dag(dag_id)
    listed = airflow_stack.api.call("GET", "/dags", params={"limit": 500, "only_active": "true"})["dags"]
    assert {d["dag_id"] for d in listed} >= set(DAG_IDS)
    problems = []
    for dag in listed:
        tags = [t["name"] for t in dag["tags"]]
        bad = [t for t in tags if not TAG.match(t)]
        kinds = {t.split(":", 1)[0] for t in tags}
        if bad:
            problems.append(f"{dag['dag_id']}: tags outside the team:/domain:/lesson: scheme: {bad}")
        if not {"team", "domain", "lesson"} <= kinds:
            problems.append(f"{dag['dag_id']}: needs a team:, a domain: and a lesson: tag, has {tags}")
        details = airflow_stack.api.call("GET", f"/dags/{dag['dag_id']}/details")
        if len((details.get("doc_md") or "").strip()) < 80:
            problems.append(f"{dag['dag_id']}: doc_md missing or too short to explain the lesson")
    assert not problems, "\n".join(problems)


def test_make_backfill_creates_one_backfill_run_per_day(airflow_stack, unique_logical_date):
    dag_id = "operators_showcase"
    start, end = unique_logical_date.span(2)
    airflow_stack.api.wait_for_dag(dag_id)
    make(airflow_stack, "backfill", f"DAG={dag_id}", f"START={start}", f"END={end}",
         "RERUN=1")
    runs = airflow_stack.api.call("GET", f"/dags/{dag_id}/dagRuns",
                                  params={"execution_date_gte": f"{start}T00:00:00Z",
                                          "execution_date_lte": f"{end}T00:00:00Z"})["dag_runs"]
    assert sorted((r["logical_date"][:10], r["run_type"], r["state"]) for r in runs) == [
        (start, "backfill", "success"), (end, "backfill", "success")]
