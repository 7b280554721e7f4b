"""
### lesson_fail_stop: when one task fails, stop the others instead of finishing doomed work

By default a failed task only fails its *downstream* tasks; siblings that are already running
carry on to the end (minutes or hours of work whose result the failed run will never use).
With `fail_stop=True` on the DAG (Airflow 2; Airflow 3 renamed it `fail_fast=True`, and
this DAG passes `**airkit.compat.fail_fast_kwargs()`, which picks the running line's name),
the first task that *fails for good* (no retries left, or `AirflowFailException`) stops the
rest of the run at once: running tasks are marked failed and killed, tasks not yet started
are skipped.

```
long_running ──> publish
fails_fast
```

`long_running` would run for 10 minutes. `fails_fast` waits until `long_running` has really
started, then fails with `AirflowFailException`. The run fails within seconds: `long_running`
ends *failed* after a few seconds, `publish` is *skipped* and never runs.

**Gotcha: a stopped run can turn green.** fail_stop *skips* the tasks that had not started,
and Airflow 2 decides a run's state from its *leaf* tasks: if every leaf ends skipped, the run
is marked *success* although a task failed. (With `fails_fast >> publish` as the only leaf,
this very DAG would report success.) Keep the work that can fail visible as a leaf, as
`fails_fast` is here, or give the DAG a final check task that fails when anything failed.

Rules that come with `fail_stop` / `fail_fast` (Airflow checks them when parsing the DAG):
every task must keep the default trigger rule `all_success`; teardown tasks still run.
Use it for runs whose tasks are all-or-nothing (a dataset built from several parts), not
for DAGs of independent tasks where one failure should not cancel the others.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks
from airkit.compat import fail_fast_kwargs


def _started_marker(run_id: str) -> Path:
    """A file in the shared data dir saying long_running has started (seen by every worker)."""
    from airkit.landing import data_dir

    return Path(data_dir()) / "lesson_fail_stop" / (re.sub(r"[^A-Za-z0-9_.-]", "_", run_id) + ".started")


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    **fail_fast_kwargs(),
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:fail-stop"],
)
def lesson_fail_stop():
    @task(execution_timeout=timedelta(minutes=15))
    def long_running(run_id: str | None = None) -> None:
        marker = _started_marker(run_id)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        time.sleep(600)  # ten minutes of work that fail_stop cuts short
        print("long_running finished its ten minutes")

    @task
    def fails_fast(run_id: str | None = None) -> None:
        from airflow.providers.common.compat.sdk import AirflowFailException

        # Wait (bounded) for the sibling to be running, so the lesson shows a *running* task
        # being stopped; on a busy machine it might otherwise not have started yet.
        marker = _started_marker(run_id)
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        raise AirflowFailException("fails_fast failed on purpose: fail_stop stops long_running now")

    @task
    def publish() -> None:
        print("never reached")

    long_running() >> publish()
    # A leaf of its own: its failure decides the run's state (see the gotcha above).
    fails_fast()


lesson_fail_stop()
