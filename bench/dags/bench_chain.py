"""Scheduling benchmark: a linear chain of 10 no-op Python tasks.

`make bench` measures the gap between each task's end and the next task's start
(task_instance.end_date -> start_date) on the tuned and on Airflow's default config.
Lives in bench/dags/, not dags/: only the benchmark's own stacks load it.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit.notifiers import log_failure


@task
def noop() -> None:
    # A real task (unlike EmptyOperator, which the scheduler completes without running it):
    # what is measured is the platform's per-task overhead, not the task's work.
    return None


@dag(
    dag_id="bench_chain",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    doc_md=__doc__,
    tags=["team:platform", "domain:bench", "lesson:scheduling-overhead"],
    # No retries: a retried task would hide a failure inside a slower number.
    default_args={"retries": 0},
    on_failure_callback=log_failure,
    is_paused_upon_creation=True,
)
def bench_chain():
    previous = None
    for i in range(1, 10 + 1):
        current = noop.override(task_id=f"t{i:02d}")()
        if previous is not None:
            previous >> current
        previous = current


bench_chain()
