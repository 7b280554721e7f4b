"""Known changes from Airflow 2.11 to 3.3, each with what to do about it, matched against what a
check found (an import error, a warning, a ruff finding, a line of DAG source).

Every entry was met in this project's own move (``../shared/reference/airflow3-notes.md`` in the
platform's specification) or is in the official upgrade guide. ``silent`` marks the changes that
raise nothing: the code runs on 3.3 and does something else.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    key: str
    category: str  # import | removed | renamed | behaviour | schedule | config
    pattern: re.Pattern
    hint: str
    silent: bool = False


def _change(key: str, category: str, pattern: str, hint: str, silent: bool = False) -> Change:
    return Change(key, category, re.compile(pattern), hint, silent)


CHANGES: tuple[Change, ...] = (
    _change("datasets", "removed", r"airflow\.datasets|\bDataset\b",
            "Airflow 3 has no `airflow.datasets`: import `Asset` from "
            "`airflow.providers.common.compat.sdk` (it is `Dataset` on 2.11)."),
    _change("triggering_dataset_events", "behaviour", r"triggering_dataset_events",
            "Asset-triggered runs receive `triggering_asset_events`, keyed by `Asset` objects; a task "
            "that only takes `triggering_dataset_events` gets nothing and succeeds with an empty "
            "result. Accept both parameters.", silent=True),
    _change("fail_stop", "renamed", r"\bfail_stop\b",
            "`fail_stop` is `fail_fast` on Airflow 3 (a TypeError at parse)."),
    _change("sla", "removed", r"\bsla\b|\bSLA\b|sla_miss_callback",
            "SLAs never fire on Airflow 3; a deadline is a `DeadlineAlert` (3.1+) on the DAG.",
            silent=True),
    _change("decorators", "import", r"airflow\.decorators",
            "Import `dag`/`task` from `airflow.providers.common.compat.sdk` (`airflow.sdk` on 3, "
            "`airflow.decorators` on 2.11)."),
    _change("standard_provider", "import",
            r"airflow\.(?:operators|sensors|hooks|triggers)\.(?:python|bash|empty|filesystem|external_task)",
            "These operators, sensors and hooks live in `apache-airflow-providers-standard` on "
            "Airflow 3; its 1.21+ also serves 2.11, so import from `airflow.providers.standard`."),
    _change("days_ago", "removed", r"\bdays_ago\b",
            "`airflow.utils.dates.days_ago` is gone: give a fixed `start_date` (pendulum.datetime)."),
    _change("removed_context", "removed",
            r"\b(?:execution_date|next_ds|prev_ds|tomorrow_ds|yesterday_ds|next_execution_date|"
            r"prev_execution_date)\b",
            "Removed from the task context on Airflow 3: use `logical_date`, `data_interval_start/end` "
            "or `ds` arithmetic (`macros.ds_add`)."),
    _change("psycopg3", "behaviour", r"unhashable type: 'Composed'|copy_expert|psycopg2\.sql",
            "The postgres provider returns a psycopg 3 connection on Airflow 3 (SQLAlchemy 2): "
            "psycopg2-only code (`psycopg2.sql`, `copy_expert`) fails there. Pin the hook to psycopg2 "
            "(`_create_connection`) or port the SQL code.", silent=True),
    _change("pip_options", "behaviour", r"Invalid requirement '--",
            "Virtualenv `requirements` take PEP 508 pins only on Airflow 3: pass pip options as "
            "`PIP_*` environment variables of the worker."),
    _change("cron_intervals", "schedule", r"data_interval_(?:start|end)|create_cron_data_intervals",
            "A cron-scheduled run on Airflow 3 starts when its day begins and covers nothing "
            "(`create_cron_data_intervals=False`): a daily job would process the day just begun. Set "
            "`[scheduler] create_cron_data_intervals = True` or pass a `CronDataIntervalTimetable`.",
            silent=True),
    _change("sql_empty_result", "behaviour", r'returned null on \S+, \[\{"__classname__": "builtins\.tuple", "__data__": \[""\]',
            "SQLExecuteQueryOperator pushes what the cursor returned: for a statement without rows (DDL) "
            "that is `None` with 2.11's psycopg2 and `[(\"\",)]` with 3.3's psycopg 3. Set "
            "`do_xcom_push=False` on tasks whose result nobody reads."),
    _change("orm_access", "behaviour", r"Direct database access via the ORM is not allowed",
            "Tasks have no metadata DB access on Airflow 3: use the REST API or the task context."),
    _change("notifier_raises", "behaviour", r"BaseNotifier|basenotifier",
            "On Airflow 3 a notifier's exception is re-raised from the callback: catch errors inside "
            "`notify()` if a broken channel must not break it."),
)


def hints_for(*texts: str | None) -> list[Change]:
    """The known changes any of `texts` points at, in table order."""
    found = [c for c in CHANGES if any(t and c.pattern.search(t) for t in texts)]
    return found
