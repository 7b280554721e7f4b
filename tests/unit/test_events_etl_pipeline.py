"""events_etl's tasks run in order against the events server and a real Postgres.

No scheduler and no metadata DB: each task's templates are rendered with a minimal context
and its ``execute`` is called directly. Proves the wiring (paths, SQL files, parameters)
and the idempotency of the whole chain; the live-stack version is tests/integration/.
"""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airkit.events.generator import expected_daily_stats, expected_events

from .conftest import REPO_ROOT, context_macros, dag_bag, fetch_dicts, table_checksum


@pytest.fixture
def run_day(events_api, pg_conn, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AIRKIT_DATA_DIR", str(tmp_path))

    def run(ds: str, tasks=("fetch_events", "create_tables", "load_events", "calculate_stats", "send_stats")):
        # A fresh DagBag per run: rendering templates mutates the task objects.
        dag = dag_bag(REPO_ROOT / "dags" / "events_etl.py").dags["events_etl"]
        results = {}
        for task_id in tasks:
            task = dag.get_task(task_id)
            context = {"ds": ds, "macros": context_macros(), **dag.user_defined_macros}
            task.render_template_fields(context)
            results[task_id] = task.execute(context)
        return results

    return run


def checksums(conn):
    return table_checksum(conn, "events", "event_id"), table_checksum(conn, "daily_stats", "day, user_id")


def test_a_day_lands_as_the_generator_says(run_day, pg_conn, tmp_path) -> None:
    results = run_day("2024-01-03")
    assert (tmp_path / "events" / "2024-01-03.json").exists()
    assert fetch_dicts(pg_conn, "SELECT * FROM events ORDER BY event_id") == expected_events("2024-01-03")
    assert fetch_dicts(pg_conn, "SELECT * FROM daily_stats ORDER BY user_id") == expected_daily_stats("2024-01-03")
    assert results["send_stats"]["users"] == len(expected_daily_stats("2024-01-03"))


def test_rerunning_a_day_and_a_week_changes_nothing(run_day, pg_conn) -> None:
    week = [f"2024-01-{d:02d}" for d in range(1, 8)]
    for ds in week:
        run_day(ds)
    first = checksums(pg_conn)
    for ds in reversed(week):  # another order, too
        run_day(ds)
    assert checksums(pg_conn) == first
    [counts] = fetch_dicts(pg_conn, "SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM events")
    assert counts["n"] == counts["d"] == sum(len(expected_events(ds)) for ds in week)


def test_malformed_source_fails_and_leaves_the_warehouse(run_day, pg_conn, events_api) -> None:
    import requests

    run_day("2024-01-03")
    before = checksums(pg_conn)
    requests.post(f"{events_api}/faults", params={"fault": "malformed"}, timeout=5)
    with pytest.raises(AirflowFailException, match="malformed JSON"):
        run_day("2024-01-03", tasks=("fetch_events",))
    assert checksums(pg_conn) == before
