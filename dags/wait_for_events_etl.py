"""
### wait_for_events_etl: depend on another DAG's task, for the same day

Stats consumers must not read `daily_stats` before `events_etl` has finished the day. Both
sensors wait for **`events_etl.send_stats` of the same logical date** (same schedule, no
`execution_delta`), each in one of the two ways that keep worker slots free:

```
wait_rescheduled ─┐
                  ├─> report
wait_deferred ────┘
```

- `wait_rescheduled`: **`mode="reschedule"`**: a short check every `poke_interval`, the task
  is `up_for_reschedule` in between. Every check is a task run on a worker.
- `wait_deferred`: **`deferrable=True`**: the task hands the wait to the *triggerer*
  (state `deferred`), a single async process that watches thousands of waits; no worker is
  used at all until the condition is met. Needs a running triggerer (both runtimes have one).
- **`timeout`** ends the wait with `AirflowSensorTimeout`, a final failure (no retries) that
  alerts. It is short here (45 s) so the timeout can be watched in training; in production
  use hours, below the schedule interval. `failed_states` stops the wait at once if the
  upstream task failed instead of waiting for the timeout.
- The sensors are `airkit.sensors.external_task.BoundedExternalTaskSensor`, the standard
  provider's ExternalTaskSensor with one fix: on Airflow 2 the end of a *deferred* wait is
  an ordinary, retried error; the subclass makes it the same final `AirflowSensorTimeout`
  as in the other modes (Airflow 3 already does).
- Use a sensor for "the same day of another DAG"; if any new data should trigger the
  consumer, use Datasets instead (see `daily_stats_consumer`).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks
from airkit.sensors.external_task import BoundedExternalTaskSensor

UPSTREAM = {"external_dag_id": "events_etl", "external_task_id": "send_stats"}


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:events", "lesson:sensors", "lesson:cross-dag-dependencies"],
)
def wait_for_events_etl():
    common = {
        **UPSTREAM,
        "allowed_states": ["success"],
        "failed_states": ["failed", "upstream_failed"],
        "timeout": timedelta(seconds=45),
    }
    wait_rescheduled = BoundedExternalTaskSensor(
        task_id="wait_rescheduled", mode="reschedule", poke_interval=15, **common
    )
    wait_deferred = BoundedExternalTaskSensor(
        task_id="wait_deferred", deferrable=True, poke_interval=10, **common
    )

    @task
    def report(ds: str | None = None) -> str:
        return f"events_etl finished {ds}"

    [wait_rescheduled, wait_deferred] >> report()


wait_for_events_etl()
