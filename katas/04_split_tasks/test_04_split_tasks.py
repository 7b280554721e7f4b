"""Kata 4's check: the save fails once and is retried; the stats mail must go out exactly once."""
from __future__ import annotations

import requests

DAG_ID = "kata_04_split_tasks"
TABLES = ["kata_04_stats"]
LESSON = ("A task does one job, so a retry repeats only that job. Computing, saving and mailing in "
          "one task means a retry after a failed save mails again (and a save that never works "
          "still mailed).")
HINT = ("Split calculate_and_send into calculate_stats (saves; may be retried) >> send_stats "
        "(reads the saved stats and mails them).")
EXPECT = "was mailed 2 times"


def mails_about(stack, subject: str) -> list[dict]:
    reply = requests.get(f"http://{stack.host}:{stack.values['SMTP_WEB_PORT']}/messages", timeout=10)
    reply.raise_for_status()
    return [m for m in reply.json() if m["subject"] == subject]


def test_a_retried_save_sends_one_mail(kata, airflow_stack, run_dag, unique_logical_date):
    day = unique_logical_date()
    subject = f"[kata 4] stats for {day}"
    run_dag(kata.dag_id, day, conf={"fail_save_once": True})
    # Every send happened inside the run, which has ended: the count is final.
    sent = len(mails_about(airflow_stack, subject))
    assert sent == 1, f"the stats mail of {day} was mailed {sent} times"
