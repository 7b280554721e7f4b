"""Kata 3's check: write the day's report, then rerun the day with a crash half-way; the
complete report must still be there."""
from __future__ import annotations

DAG_ID = "kata_03_atomic_file"
TABLES: list[str] = []
LESSON = ("A task's output appears completely or not at all. A worker can die at any line "
          "(OOM, a deploy, a lost node); a file written in place is then truncated, and the next "
          "reader cannot tell.")
HINT = ("Write to a temporary file in the same folder (tempfile.mkstemp(dir=...)) and "
        "os.replace() it onto the target when it is complete; remove the temp file on failure.")
EXPECT = "truncated"


def test_a_crash_half_way_keeps_the_complete_report(kata, airflow_stack, run_dag, unique_logical_date):
    day = unique_logical_date()
    report = f"kata_03/{day}.csv"
    run_dag(kata.dag_id, day)
    complete = airflow_stack.read_data_file(report)

    run_dag(kata.dag_id, day, conf={"crash_after": 500}, expect="failed")
    after = airflow_stack.read_data_file(report)
    assert after == complete, (f"the crashed run left a truncated report: {len(after.splitlines())} of "
                               f"{len(complete.splitlines())} lines in {report}")
