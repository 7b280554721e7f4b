"""
### lesson_fail_fast: don't swallow errors — fail loudly on bad input, skip on no data

A task has three honest outcomes, and each has its exception:

| situation | raise | result |
|---|---|---|
| transient trouble (HTTP 5xx, timeout) | any normal exception | retried (`retries`), then failed |
| bad input (unparsable, wrong types, missing fields) | `AirflowFailException` | **failed at once**, no retries wasted |
| nothing to do (no events that day) | `AirflowSkipException` | **skipped**, downstream decides |

Never `except Exception: pass` or `return None` on bad input: the run turns green, the
warehouse quietly misses a day, and nobody is told. A failed task alerts (to the log and
Sentry, through `airkit.dag_defaults()`), shows red in the UI and can be fixed and cleared.

```
extract_events ─┬─> summarize (all_success) ──> publish (all_success)
                ├─> audit     (none_failed)
                └─> cleanup   (all_done)
```

What the trigger rules do with each outcome of `extract_events`:

| extract_events | summarize, publish (`all_success`, the default) | audit (`none_failed`) | cleanup (`all_done`) | run |
|---|---|---|---|---|
| success | run | run | run | success |
| skipped (no data) | skipped | **runs** | runs | success |
| failed (bad input) | upstream_failed | upstream_failed | **runs** | failed |

`none_failed` is for work that must happen unless something broke (recording that the day
was checked); `all_done` is for clean-up that must happen whatever happened.

Try it: arm a fault on the events API for a day (`POST /faults?fault=wrong_types&...` or
`fault=empty`), then trigger the DAG with that logical date.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import TriggerRule, dag, task

from airkit import dag_defaults, failure_callbacks

EVENTS_API_CONN_ID = "events_api"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:fail-fast", "lesson:trigger-rules"],
)
def lesson_fail_fast():
    @task
    def extract_events(ds: str | None = None) -> int:
        """The day's events from the events API, validated; the number of distinct events."""
        import json

        from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException
        from airflow.providers.http.hooks.http import HttpHook

        from airkit.events.schema import EVENT_FIELDS, EVENT_KEY
        from airkit.schema import validate_records

        end = pendulum.parse(ds).add(days=1).to_date_string()
        # HTTP errors raise a normal AirflowException: transient, so retried.
        response = HttpHook(method="GET", http_conn_id=EVENTS_API_CONN_ID).run(
            "/events", data={"start_date": ds, "end_date": end}
        )
        try:
            events = json.loads(response.content)
        except ValueError as exc:
            raise AirflowFailException(f"events API returned invalid JSON for {ds}: {exc}") from None
        if not isinstance(events, list):
            raise AirflowFailException(f"events API returned {type(events).__name__}, expected a list")
        if not events:
            raise AirflowSkipException(f"no events on {ds}: nothing to summarize")
        # Raises AirflowFailException naming every kind of problem, with row numbers.
        rows = validate_records(events, EVENT_FIELDS, key=EVENT_KEY, partition=("day", ds),
                                source=f"events of {ds}")
        return len({row[0] for row in rows})

    @task
    def summarize(distinct_events: int, ds: str | None = None) -> str:
        return f"{ds}: {distinct_events} distinct events"

    @task
    def publish(summary: str) -> None:
        print(f"publishing: {summary}")

    @task(trigger_rule=TriggerRule.NONE_FAILED)
    def audit(ds: str | None = None) -> None:
        """Runs after success or skip, not after a failure: 'the day was checked'."""
        print(f"audit: {ds} was checked")

    @task(trigger_rule=TriggerRule.ALL_DONE)
    def cleanup(ds: str | None = None) -> None:
        """Runs whatever happened upstream."""
        print(f"cleanup for {ds}: nothing left behind")

    extracted = extract_events()
    publish(summarize(extracted))
    extracted >> [audit(), cleanup()]


lesson_fail_fast()
