"""Scheduling benchmark: independent no-op Python tasks (fan-out), 100 wide and 20 wide (QUICK).

`make bench` measures throughput (tasks/s from the run's start to the last task's end) on the
tuned and on Airflow's default config. Lives in bench/dags/, not dags/: only the benchmark's
own stacks load it.
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


def fanout_dag(dag_id: str, width: int):
    @dag(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
        catchup=False,
        doc_md=__doc__,
        tags=["team:platform", "domain:bench", "lesson:scheduling-overhead"],
        # No retries: a retried task would hide a failure inside a slower number.
        default_args={"retries": 0},
        on_failure_callback=log_failure,
        # Above both configs' limits, so the config (parallelism, worker concurrency), not the
        # DAG, decides how many run at once.
        max_active_tasks=width,
        is_paused_upon_creation=True,
    )
    def fanout():
        for i in range(1, width + 1):
            noop.override(task_id=f"t{i:03d}")()

    return fanout()


bench_fanout = fanout_dag("bench_fanout", 100)
bench_fanout_small = fanout_dag("bench_fanout_small", 20)
