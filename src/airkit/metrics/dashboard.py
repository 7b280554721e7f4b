"""The metric names the provisioned Grafana dashboards query."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from airkit.stack import project

#: Prometheus names are ours (statsd-exporter's airflow_*) or Flower's (flower_*).
_METRIC = re.compile(r"\b((?:airflow|flower)_[a-z0-9_]+)")
#: What a summary or histogram adds to the name the mapping gives it.
SERIES_SUFFIXES = ("_sum", "_count", "_bucket")


def dashboards_dir() -> Path:
    return project.root() / "compose" / "observability" / "grafana" / "dashboards"


def expressions(path: Path) -> Iterator[str]:
    for panel in json.loads(path.read_text())["panels"]:
        for target in panel.get("targets", []):
            yield target["expr"]


def queried_metrics(path: Path) -> set[str]:
    """Every metric name in the dashboard's PromQL, with a summary's suffix taken off."""
    names = {m for expr in expressions(path) for m in _METRIC.findall(expr)}
    return {_base(name) for name in names}


def _base(name: str) -> str:
    for suffix in SERIES_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
