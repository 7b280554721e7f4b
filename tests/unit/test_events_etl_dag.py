"""The events_etl DAG's shape and settings (behaviour is tested through its operators)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airkit.operators.http_to_file import HttpToFileOperator
from airkit.operators.upsert import PostgresUpsertOperator

from .conftest import REPO_ROOT, context_macros, dag_bag


@pytest.fixture(scope="module")
def dag():
    bag = dag_bag(REPO_ROOT / "dags" / "events_etl.py")
    assert not bag.import_errors
    # bag.dags, not bag.get_dag(): get_dag() consults the metadata DB, which unit tests lack.
    return bag.dags["events_etl"]


def test_task_graph(dag) -> None:
    upstream = {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks}
    assert upstream == {
        "fetch_events": [],
        "create_tables": [],
        "load_events": ["create_tables", "fetch_events"],
        "calculate_stats": ["load_events"],
        "send_stats": ["calculate_stats"],
    }


def test_settings(dag) -> None:
    assert dag.catchup is False
    assert dag.max_active_runs <= 4
    assert dag.start_date.isoformat().startswith("2024-01-01")
    assert {"team:data-platform", "domain:events"} <= set(dag.tags)
    assert _callback_types(dag.on_failure_callback) == {"log_failure", "SentryNotifier"}
    for t in dag.tasks:
        assert t.retries >= 2
        assert t.retry_delay == timedelta(seconds=10)
        assert _callback_types(t.on_failure_callback) == {"log_failure", "SentryNotifier"}
        assert _callback_types(t.on_retry_callback) == {"SentryNotifier"}


def _callback_types(callbacks) -> set[str]:
    callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
    return {getattr(c, "__name__", type(c).__name__) for c in callbacks if c}


def test_fetch_and_load_use_the_same_landing_file_and_day(dag) -> None:
    fetch = dag.get_task("fetch_events")
    load = dag.get_task("load_events")
    assert isinstance(fetch, HttpToFileOperator)
    assert isinstance(load, PostgresUpsertOperator)
    assert fetch.output_path == load.source_path == "{{ data_dir() }}/events/{{ ds }}.json"
    # ds, not next_ds: a manual run's data interval ends on its logical date.
    assert fetch.data == {"start_date": "{{ ds }}", "end_date": "{{ macros.ds_add(ds, 1) }}"}
    assert load.partition_value == "{{ ds }}"
    assert load.key == ("event_id",)


def test_templates_render(dag, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AIRKIT_DATA_DIR", str(tmp_path))
    fetch = dag.get_task("fetch_events")
    env = dag.get_template_env()
    context = {"ds": "2024-01-31", "macros": context_macros(), **dag.user_defined_macros}
    assert fetch.render_template(fetch.output_path, context, env) == f"{tmp_path}/events/2024-01-31.json"
    assert fetch.render_template(fetch.data, context, env) == {"start_date": "2024-01-31", "end_date": "2024-02-01"}
    # The .sql templates of the TaskFlow tasks resolve through template_searchpath.
    stats = dag.get_task("calculate_stats")
    rendered = stats.render_template(stats.templates_dict, context, env)
    assert "WHERE day = %(day)s" in rendered["events_query"]


def test_data_dir_unset_fails_clearly(dag, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRKIT_DATA_DIR", raising=False)
    with pytest.raises(AirflowFailException, match="AIRKIT_DATA_DIR is not set"):
        dag.user_defined_macros["data_dir"]()
