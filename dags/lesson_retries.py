"""
### lesson_retries: retry what can heal, bound what can hang, and hear about every retry

Some failures heal by themselves: a dropped connection, a restarting service, a lock held a
moment too long. Airflow retries a failed task when you say so:

- `retries=2`: up to two more tries after the first (`try_number` 1, 2, 3).
- `retry_delay=timedelta(seconds=5)`: wait between tries. With
  `retry_exponential_backoff=True` each wait roughly doubles (capped by `max_retry_delay`), so
  a struggling service is not hammered. Production DAGs wait minutes, not seconds.
- `on_retry_callback`: runs after every failed try that will be retried. Here it is
  `SentryNotifier()`: each retry shows up in Sentry as a *warning* with dag_id, task_id,
  run_id, try_number, the log URL and the exception; the final failure comes as an *error*
  through `on_failure_callback`.
- `execution_timeout`: a try that hangs is killed (`AirflowTaskTimeout`) and counts as a
  failed try, so it is retried and alerted like any other failure instead of holding a worker
  slot forever. This is also the answer to "SLAs do not fire for manual runs" (lesson_sla).

Try it: trigger with conf `{"fail_first_try": true, "hang_first_try": true}`. Both tasks fail
their first try (one raises, one hangs until its 10 s timeout), are retried, and succeed on
try 2; the Sentry sink shows two `task_retry` events. Without conf both succeed at once.

Retries only help with *transient* errors. Bad input does not get better on retry: raise
`AirflowFailException` for it (lesson_fail_fast).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    # The settings this lesson is about, spelled out even where they equal the platform's
    # defaults: the doc above and the integration test (max_tries == 2) rely on them.
    default_args=dag_defaults(
        retries=2,
        retry_delay=timedelta(seconds=5),
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(seconds=30),
    ),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:retries"],
)
def lesson_retries():
    @task
    def call_flaky_service(dag_run=None, ti=None) -> dict:
        """Fails its first try when asked to (a stand-in for a dropped connection)."""
        if (dag_run.conf or {}).get("fail_first_try") and ti.try_number == 1:
            # A normal exception: Airflow treats it as possibly transient and retries.
            raise ConnectionError("the service dropped the connection (simulated, first try only)")
        return {"try_number": ti.try_number}

    @task(execution_timeout=timedelta(seconds=10))
    def call_slow_service(dag_run=None, ti=None) -> dict:
        """Hangs on its first try when asked to; execution_timeout kills that try."""
        if (dag_run.conf or {}).get("hang_first_try") and ti.try_number == 1:
            time.sleep(600)  # a stand-in for a call without a timeout of its own
        return {"try_number": ti.try_number}

    call_flaky_service()
    call_slow_service()


lesson_retries()
