"""Kata 7's check: a bad batch fails on the first try; a good one still succeeds."""
from __future__ import annotations

DAG_ID = "kata_07_fail_fast"
TABLES: list[str] = []
LESSON = ("Retries are for errors that can heal (a timeout, a dropped connection). Bad data "
          "fails the same way on every try: retrying it wastes the tries and delays the alert.")
HINT = ("Raise airflow.providers.common.compat.sdk.AirflowFailException for the bad batch "
        "(lesson_fail_fast does); leave other errors as they are.")
EXPECT = "bad data was tried"


def test_a_bad_batch_fails_on_its_first_try(kata, run_dag):
    bad = {"orders": [{"id": "A", "amount": 10}, {"id": "B", "amount": -5}]}
    run = run_dag(kata.dag_id, conf=bad, expect="failed")
    tries = run.tries["validate_orders"]
    assert tries == 1, f"bad data was tried {tries} times before it failed"
    assert run_dag(kata.dag_id).state == "success"
