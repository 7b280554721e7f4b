"""
### events_etl: atomic, idempotent tasks (the task-design lesson, made real)

Every day: fetch the day's user events from the events API, upsert them into
`warehouse.events`, recompute `warehouse.daily_stats` for the day, and prepare the stats
report.

```
fetch_events ──┐
create_tables ─┴─> load_events ──> calculate_stats ──> send_stats
```

**Idempotency: a rerun gives the same result, never more of it.** Clear any task, any day,
any number of times, or backfill a week twice: the warehouse ends up identical.

- `fetch_events` overwrites `$AIRKIT_DATA_DIR/events/<ds>.json`: temp file + rename, so a
  reader never sees half a file.
- `load_events` upserts on `event_id` (`INSERT ... ON CONFLICT DO UPDATE`) instead of
  appending. The feed contains duplicates and late corrections on purpose; within a batch the
  highest `version` wins, and an older version never overwrites a newer one.
- `calculate_stats` *overwrites the day's partition*: delete the day and load the new rows in
  one transaction. Stats for other days are untouched, and readers never see an empty day.

**Atomicity: a task either does all of its job or leaves no trace.**

- Each load runs in one database transaction; a failure rolls it back completely.
- `send_stats` is its own task: it mails the day's stats from the committed table to
  `ALERT_EMAIL_TO` (Airflow's [smtp] settings; the stack's local mail sink in development).
  If sending fails, the stats already committed stay correct, and the failed task shows in
  the UI and can be retried alone. (In one task, a failed send would either undo good stats
  or hide behind a green task.)

**Retries only where they can help.** HTTP 5xx, timeouts and broken transfers raise normal
errors, so Airflow retries them (`retries`, `retry_delay`). Malformed JSON, missing fields,
wrong types, null keys, rows of another day, one event version delivered with two different
contents, or a reply above `max_bytes` raise `AirflowFailException`: the task fails at once
with a message naming the problem, and the warehouse stays as it was.

**An empty day is skipped, not failed.** If the source has no events for the day,
`fetch_events` raises `AirflowSkipException`; the load and the stats are skipped with it, and
the day's data (if any was loaded earlier) is left alone.

**The partition is `ds`, the run's logical date**, for scheduled and manual runs alike. The API
range is `[ds, ds + 1 day)`; it is not taken from `data_interval_end` / `next_ds`, because a
manually triggered run's data interval is the day *before* its logical date.

**A scheduled run must load a finished day.** The `@daily` run for day D starts after D has
ended, with `ds = D`: Airflow 2's behaviour, and Airflow 3's when
`[scheduler] create_cron_data_intervals` is True, which `.env` sets. Airflow 3's default is
False: a cron schedule becomes a trigger, and the run for D starts at D 00:00 with `ds = D`
and an empty interval — this DAG would load the day that has just begun, and never look at
it again. On a stack you do not configure, say it in the DAG instead:
`schedule=CronDataIntervalTimetable("@daily", timezone="UTC")`.

Run it for a day: `airflow dags test events_etl 2024-01-03`, or trigger it with that
logical date. Failures are logged (`airkit.notifiers.log_failure`) and sent to Sentry
(`SentryNotifier`, a no-op without `SENTRY_DSN`): every retry as a warning, final task
failures and failed runs as errors. Like every DAG, it takes that, its owner and its retries
from `airkit.dag_defaults()` and `airkit.failure_callbacks()`.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

from airkit import dag_defaults, failure_callbacks
from airkit.datasets import DAILY_STATS, EVENTS
from airkit.events.schema import (
    DAILY_STATS_FIELDS,
    DAILY_STATS_KEY,
    EVENT_FIELDS,
    EVENT_KEY,
    EVENT_NEWEST_FIRST,
)
from airkit.hooks.warehouse import WarehouseHook
from airkit.landing import data_dir
from airkit.operators.http_to_file import HttpToFileOperator
from airkit.operators.upsert import PostgresUpsertOperator

SQL_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "include", "sql"))
WAREHOUSE_CONN_ID = "warehouse_default"
EVENTS_API_CONN_ID = "events_api"


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    # Days before the DAG was enabled are loaded on purpose, with `airflow dags backfill`.
    catchup=False,
    # Runs touch disjoint days, so a few can run side by side (backfills), but not so many
    # that a backfill takes every worker slot of the small reference machine.
    max_active_runs=3,
    dagrun_timeout=timedelta(hours=1),
    # A hung task must fail (and alert) rather than hold a worker slot forever.
    default_args=dag_defaults(execution_timeout=timedelta(minutes=10)),
    on_failure_callback=failure_callbacks(),
    template_searchpath=[SQL_DIR],
    # A callable, so AIRKIT_DATA_DIR is read when a task renders its templates on the
    # worker, not when the file is parsed.
    user_defined_macros={"data_dir": data_dir},
    doc_md=__doc__,
    tags=["team:data-platform", "domain:events", "lesson:idempotency", "lesson:atomicity"],
)
def events_etl():
    fetch_events = HttpToFileOperator(
        task_id="fetch_events",
        http_conn_id=EVENTS_API_CONN_ID,
        endpoint="/events",
        data={"start_date": "{{ ds }}", "end_date": "{{ macros.ds_add(ds, 1) }}"},
        output_path="{{ data_dir() }}/events/{{ ds }}.json",
        # A day is ~50 KB; a reply 300 times that is a broken source, not a busy day.
        max_bytes=16 * 1024 * 1024,
        skip_empty=True,
    )

    create_tables = SQLExecuteQueryOperator(
        task_id="create_tables",
        conn_id=WAREHOUSE_CONN_ID,
        sql="events_etl/create_tables.sql",
        # DDL returns nothing worth keeping; left on, 3.3's psycopg 3 pushes `[("",)]` and
        # 2.11's psycopg2 None (`make upgrade-check` showed it).
        do_xcom_push=False,
    )

    load_events = PostgresUpsertOperator(
        task_id="load_events",
        postgres_conn_id=WAREHOUSE_CONN_ID,
        source_path="{{ data_dir() }}/events/{{ ds }}.json",
        table="events",
        fields=EVENT_FIELDS,
        key=EVENT_KEY,
        order_by=EVENT_NEWEST_FIRST,
        partition_column="day",
        partition_value="{{ ds }}",
        outlets=[EVENTS],
    )

    @task(
        templates_dict={"events_query": "events_etl/select_day_events.sql"},
        templates_exts=[".sql"],
        outlets=[DAILY_STATS],
    )
    def calculate_stats(ds: str | None = None, templates_dict: dict | None = None) -> int:
        """Per-user stats of the day from the warehouse, written as a partition overwrite."""
        # pandas is imported here, not at the top: the scheduler parses this file often
        # and never needs it.
        from airkit.events.stats import daily_stats
        from airkit.operators.partition import overwrite_partition

        hook = WarehouseHook(postgres_conn_id=WAREHOUSE_CONN_ID)
        events = hook.fetch_dataframe(templates_dict["events_query"], {"day": ds})
        stats = daily_stats(events, day=ds)
        # The warehouse, not the landing file, is the input: the stats describe what was
        # actually loaded, after dedup and corrections.
        return overwrite_partition(
            hook,
            table="daily_stats",
            partition_column="day",
            partition_value=ds,
            fields=DAILY_STATS_FIELDS,
            key=DAILY_STATS_KEY,
            records=stats.astype(object).to_dict("records"),
        )

    @task(
        templates_dict={"stats_query": "events_etl/select_daily_stats.sql"},
        templates_exts=[".sql"],
    )
    def send_stats(ds: str | None = None, templates_dict: dict | None = None) -> dict:
        """Mail the stats report, built from the committed stats, to ALERT_EMAIL_TO."""
        from airkit.events.report import render_stats_report
        from airkit.notifiers import send_text_report

        hook = WarehouseHook(postgres_conn_id=WAREHOUSE_CONN_ID)
        stats = hook.fetch_dataframe(templates_dict["stats_query"], {"day": ds})
        subject, body = render_stats_report(ds, stats.to_dict("records"))
        print(f"{subject}\n\n{body}")
        # Read when the task runs (never at parse time); unset means "do not mail".
        mailed_to = send_text_report(to=os.environ.get("ALERT_EMAIL_TO"), subject=subject, body=body)
        return {"subject": subject, "users": len(stats), "mailed_to": mailed_to}

    stats = calculate_stats()
    [fetch_events, create_tables] >> load_events >> stats >> send_stats()


events_etl()
