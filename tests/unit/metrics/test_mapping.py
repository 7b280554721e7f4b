"""The statsd-exporter mapping (compose/observability/statsd-mapping.yml) and the dashboard on it:
the matching rules behave as statsd-exporter's do, and every metric a panel queries is one the
mapping (or Flower) produces. Grafana cannot run here, so this is how its dashboard is checked."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from flower.events import get_prometheus_metrics

from airkit.metrics import dashboard, mapping

RULES = mapping.load()
DASHBOARDS = sorted(dashboard.dashboards_dir().glob("*.json"))


@pytest.mark.parametrize(("statsd_name", "expected"), [
    # Airflow 3.3's tagged form: the tags are the labels.
    ("airflow.ti.finish,dag_id=d,task_id=t,state=failed",
     mapping.Mapped("airflow_ti_finish", {"dag_id": "d", "task_id": "t", "state": "failed"})),
    # A star is one component: its capture becomes a label, tags stay.
    ("airflow.dagrun.duration.success,dag_id=d",
     mapping.Mapped("airflow_dagrun_duration", {"dag_id": "d", "state": "success"})),
    ("airflow.pool.open_slots,pool_name=default_pool",
     mapping.Mapped("airflow_pool_open_slots", {"pool_name": "default_pool"})),
    # Airflow 2.11's values-in-the-name twins are dropped, not counted twice.
    ("airflow.ti.finish.d.t.success", None),
    ("airflow.dagrun.duration.success.d", None),
    ("airflow.pool.open_slots.default_pool", None),
    # No rule: statsd-exporter would auto-name it, without labels.
    ("airflow.some.other.metric", None),
])
def test_rules_map_as_statsd_exporter_does(statsd_name, expected):
    assert mapping.apply(RULES, statsd_name) == expected


def test_a_star_never_spans_a_dot():
    rule = mapping.Rule("airflow.dagrun.duration.*", "x")
    assert rule.pattern.fullmatch("airflow.dagrun.duration.success")
    assert not rule.pattern.fullmatch("airflow.dagrun.duration.success.my_dag")


def test_there_is_a_dashboard():
    assert DASHBOARDS, f"no dashboard JSON in {dashboard.dashboards_dir()}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_metric_a_panel_queries_is_produced(path: Path):
    produced = mapping.exported_names(RULES) | _flower_metrics()
    unknown = dashboard.queried_metrics(path) - produced
    assert not unknown, f"{path.name} queries metrics nothing produces: {sorted(unknown)}"


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_panel_uses_the_provisioned_datasource(path: Path):
    provisioning = dashboard.dashboards_dir().parent / "provisioning" / "datasources" / "prometheus.yaml"
    uids = {source["uid"] for source in yaml.safe_load(provisioning.read_text())["datasources"]}
    for panel in json.loads(path.read_text())["panels"]:
        assert panel["datasource"]["uid"] in uids, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"


def _flower_metrics() -> set[str]:
    """The names Flower's /metrics serves (the installed Flower's own definitions)."""
    metrics = get_prometheus_metrics()
    return {family.name for collector in vars(metrics).values() for family in collector.describe()}
