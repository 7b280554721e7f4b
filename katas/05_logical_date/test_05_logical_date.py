"""Kata 5's check: run the DAG for a day in the past; that day, and only it, is loaded."""
from __future__ import annotations

DAG_ID = "kata_05_logical_date"
TABLES = ["kata_05_loaded_days"]
LESSON = ("A task takes its day from the run (the logical date, ds), never from the clock. "
          "datetime.now() or 'yesterday' is right only for the run that runs on time.")
HINT = "Give load_day a `ds` argument (TaskFlow passes it) and load that day; drop datetime.now()."
EXPECT = "loaded the wrong day"


def test_the_run_for_a_day_loads_that_day(kata, run_dag, warehouse):
    run = run_dag(kata.dag_id)
    with warehouse.cursor() as cur:
        cur.execute("SELECT day::text AS day FROM kata_05_loaded_days ORDER BY day")
        loaded = [row["day"] for row in cur.fetchall()]
    assert loaded == [run.logical_date], f"the run for {run.logical_date} loaded the wrong day: {loaded}"
