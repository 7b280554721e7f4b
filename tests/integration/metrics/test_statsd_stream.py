"""Airflow's real StatsD stream against our statsd-exporter mapping: every metric the dashboard
queries is sent by the stack's own components and gets its name and labels from a rule.

The harness's local stack sends StatsD to 127.0.0.1 (airkit.testing.statsd); the test listens
there while lesson_fail_fast runs once to success and once to failure, so the scheduler
(heartbeat, slots, run durations), the DAG processor (parse time; the scheduler on 2.11) and a
worker (ti.finish) all have something to say. No statsd-exporter runs here (no image, no
package): the mapping is applied the way statsd-exporter applies it (airkit.metrics.mapping).
"""
from __future__ import annotations

import pytest

from airkit.metrics import dashboard, mapping
from airkit.testing.statsd import HOST, StatsDSink

pytestmark = pytest.mark.integration

DAG_ID = "lesson_fail_fast"
#: Labels a panel groups or filters by, per exported name.
LABELS = {"airflow_ti_finish": {"dag_id", "task_id", "state"},
          "airflow_dagrun_duration": {"dag_id", "state"},
          "airflow_pool_open_slots": {"pool_name"}}
#: Who sends what (a worker only: task outcomes), for the failure message.
SENDER = {"airflow_ti_finish": "a Celery worker (the task runner)",
          "airflow_dag_processing_total_parse_time": "the DAG processor"}


def _dashboard_metrics() -> set[str]:
    return {m for path in dashboard.dashboards_dir().glob("*.json") for m in dashboard.queried_metrics(path)
            if m.startswith("airflow_")}


def _exported(names: set[str], rules) -> dict[str, list[mapping.Mapped]]:
    out: dict[str, list[mapping.Mapped]] = {}
    for name in names:
        mapped = mapping.apply(rules, name)
        if mapped is not None:
            out.setdefault(mapped.name, []).append(mapped)
    return out


def _sink_address(airflow_stack) -> int:
    values = airflow_stack.values
    target = (values.get("AIRFLOW__METRICS__STATSD_ON"), values.get("AIRFLOW__METRICS__STATSD_HOST"))
    if target != ("True", HOST):
        pytest.skip("this stack does not send StatsD to this machine (the harness's local isolated one does)")
    return int(values["AIRFLOW__METRICS__STATSD_PORT"])


def test_every_dashboard_metric_is_emitted_and_mapped_with_its_labels(airflow_stack, events_api,
                                                                         unique_logical_date):
    port = _sink_address(airflow_stack)
    rules, wanted = mapping.load(), _dashboard_metrics()
    runs = {"failed": unique_logical_date(), "success": unique_logical_date()}
    events_api.arm("wrong_types", day=runs["failed"])
    events_api.arm("empty", day=runs["success"])
    states = {"success", "failed"}

    def complete(names: set[str]) -> bool:
        exported = _exported(names, rules)
        durations = {m.labels.get("state") for m in exported.get("airflow_dagrun_duration", [])}
        return wanted <= set(exported) and states <= durations

    with StatsDSink(HOST, port) as sink:
        for expect, day in runs.items():
            airflow_stack.api.trigger(DAG_ID, day, f"it_statsd_{expect}_{day}")
        for expect, day in runs.items():
            airflow_stack.api.wait_for_run(DAG_ID, f"it_statsd_{expect}_{day}", timeout=180, expect=expect)
        # A run's duration is sent as the scheduler closes it; parse time once per parsing loop.
        names = sink.wait_for(complete, timeout=60)

    exported = _exported(names, rules)
    missing = {m: SENDER.get(m, "the scheduler") for m in wanted - set(exported)}
    assert not missing, ("never sent, or sent under a name no rule maps (metric: expected sender): "
                         f"{missing}; received: {sorted(names)}")
    for name, labels in LABELS.items():
        assert any(labels <= set(m.labels) for m in exported[name]), f"{name} lacks {labels}"
    durations = {m.labels["state"] for m in exported["airflow_dagrun_duration"]}
    assert states <= durations, f"dagrun durations seen for {durations}"
    finished = {m.labels["state"] for m in exported["airflow_ti_finish"] if m.labels.get("dag_id") == DAG_ID}
    assert {"failed", "skipped"} <= finished, f"ti.finish states of {DAG_ID}: {finished}"
