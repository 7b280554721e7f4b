"""
### lesson_sla: "this should be done by now" — SLA misses, and what to use instead

`sla=timedelta(...)` on a task says how long after its *scheduled* time the task should have
succeeded. When it has not, Airflow records a row in the `sla_miss` table (UI: Browse → SLA
Misses) and calls the DAG's `sla_miss_callback`; here `log_sla_miss` (scheduler log) and
`SentryNotifier()` (a `sla_miss` warning in Sentry). The task is **not** stopped: an SLA is
an early warning that a run is late, not a limit.

This DAG runs every minute while unpaused (it is created paused; unpause it to watch, pause
it again afterwards). `build_report` sleeps 40 s against an SLA of 5 s, so every run misses.

Caveats of SLAs in Airflow 2 (read before relying on them):

- **Only scheduled runs get SLA checks.** Manual runs (`airflow dags trigger`, the UI's play
  button, the REST API) and backfills never alert. The DAG must have a schedule.
- The check runs in the DAG processor (scheduler), on the *next* schedule interval after the
  task's last success: a miss is recorded for a logical date whose run is late, and a DAG
  that never succeeded once is never checked.
- Airflow 3 removes `sla` (replaced by deadline alerts); keep SLA logic in the callbacks so
  it is easy to move.

**The alternative that works for every run: `execution_timeout`.** It *kills* the try after
the given time (`AirflowTaskTimeout`), the try counts as failed, and `on_retry_callback` /
`on_failure_callback` alert as for any other failure, for manual runs too. `build_report`
has `execution_timeout=timedelta(seconds=90)`: trigger it with conf `{"sleep_seconds": 120}`
to see it (lesson_retries shows the same on a hanging try). Use both: SLA to hear early
that a scheduled run is late, `execution_timeout` so nothing hangs forever.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks
from airkit.notifiers import SentryNotifier, log_sla_miss


@dag(
    # SLAs are only checked for scheduled runs; every minute keeps the demo short.
    schedule=timedelta(minutes=1),
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    # Never pile up late runs: the next one waits for the current one.
    max_active_runs=1,
    # Every minute is too often to leave running by accident.
    is_paused_upon_creation=True,
    dagrun_timeout=timedelta(minutes=10),
    # Airflow 2 only: 3.x accepts SLAs with a warning and never fires them (Deadline Alerts
    # replace them there), so this lesson stays a 2.x lesson.
    sla_miss_callback=[log_sla_miss, SentryNotifier()],  # noqa: AIR311
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:sla", "lesson:execution-timeout"],
)
def lesson_sla():
    @task(sla=timedelta(seconds=5), execution_timeout=timedelta(seconds=90))
    def build_report(dag_run=None) -> None:
        seconds = float((dag_run.conf or {}).get("sleep_seconds", 40))
        time.sleep(seconds)  # a report that takes longer than promised

    build_report()


lesson_sla()
