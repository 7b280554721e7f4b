"""
### lesson_sla: "this should be done by now" — SLA misses (2.11), Deadline Alerts (3.1+)

A run that is late is worth hearing about before it fails. The two Airflow lines say so
differently, and this DAG shows the way of the line it runs on.

**Airflow 3.1+: Deadline Alerts.** `@dag(deadline=DeadlineAlert(...))` names a reference
point of each run (here `DAGRUN_QUEUED_AT`; also the logical date, a fixed time, or the average
run time of recent runs) and an interval. A run not finished by then gets the alert's callback:
here `airkit.notifiers.deadline.deadline_missed` (log + a `deadline_miss` warning in Sentry),
an `AsyncCallback` that runs in the triggerer. Unlike SLAs, deadlines apply to **every** run —
manual, scheduled, backfill — and the run is not stopped. The 3.3 docs still mark Deadline
Alerts experimental: expect the API to move.

**Airflow 2.11: SLAs.** `sla=timedelta(...)` on a task says how long after its *scheduled* time
the task should have succeeded. When it has not, Airflow records a row in `sla_miss` (UI:
Browse → SLA Misses) and calls the DAG's `sla_miss_callback`; here `log_sla_miss` (scheduler
log) and `SentryNotifier()` (a `sla_miss` warning in Sentry). Caveats: only scheduled runs are
checked (manual runs and backfills never alert, so the DAG needs a schedule); the check runs
on the *next* interval after the task's last success, so a DAG that never succeeded is never
checked. Airflow 3 accepts `sla=` with a warning and never fires it.

This DAG runs every minute while unpaused (it is created paused; unpause it to watch, pause it
again afterwards), and any manual run shows the 3.x deadline too. `build_report` sleeps 40 s
against a promise of 5 s (SLA) or 10 s after queueing (deadline), so every run is late.

**The limit that works on both lines: `execution_timeout`.** It *kills* the try after the given
time (`AirflowTaskTimeout`), the try counts as failed, and `on_retry_callback` /
`on_failure_callback` alert as for any other failure. `build_report` has
`execution_timeout=timedelta(seconds=90)`: trigger it with conf `{"sleep_seconds": 120}` to see
it (lesson_retries shows the same on a hanging try). Use both: a deadline (or SLA) to hear early
that a run is late, `execution_timeout` so nothing hangs forever.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks
from airkit.compat import AIRFLOW_MAJOR
from airkit.notifiers import SentryNotifier, log_sla_miss

REPORT_PROMISE = timedelta(seconds=5)

if AIRFLOW_MAJOR >= 3:
    # Airflow 3.1+ only (common-compat has no 2.x equivalent to map it to).
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    from airkit.notifiers.deadline import deadline_missed

    LATENESS = {"deadline": DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        # The report's 5 s, plus the time a run needs to get a worker slot on a busy machine.
        interval=REPORT_PROMISE + timedelta(seconds=5),
        callback=AsyncCallback(deadline_missed, kwargs={"promise": "build_report within 10 s of queueing"}),
    )}
    TASK_LATENESS: dict = {}
else:
    LATENESS = {"sla_miss_callback": [log_sla_miss, SentryNotifier()]}
    TASK_LATENESS = {"sla": REPORT_PROMISE}


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
    # A deadline on Airflow 3, an SLA callback on 2 (see the docstring).
    **LATENESS,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:sla", "lesson:deadline-alerts", "lesson:execution-timeout"],
)
def lesson_sla():
    @task(**TASK_LATENESS, execution_timeout=timedelta(seconds=90))
    def build_report(dag_run=None) -> None:
        seconds = float((dag_run.conf or {}).get("sleep_seconds", 40))
        time.sleep(seconds)  # a report that takes longer than promised

    build_report()


lesson_sla()
