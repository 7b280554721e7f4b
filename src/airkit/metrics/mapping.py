"""statsd-exporter's glob mapping, as much of it as our mapping file uses.

A rule's `match` is a dotted name where `*` stands for exactly one dot-separated component;
`$1`, `$2`... in its labels are what the stars matched; the first matching rule wins, and a
rule with `action: drop` keeps the metric out. Tags Airflow sends InfluxDB-style
(`name,key=value`) are labels too. Regex rules are refused rather than half-implemented.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from airkit.stack import project


def default_path() -> Path:
    return project.root() / "compose" / "observability" / "statsd-mapping.yml"


@dataclass(frozen=True)
class Rule:
    match: str
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(r"\.".join("([^.]+)" if part == "*" else re.escape(part)
                                     for part in self.match.split(".")))


@dataclass(frozen=True)
class Mapped:
    name: str
    labels: dict[str, str]


def load(path: Path | None = None) -> tuple[Rule, ...]:
    spec = yaml.safe_load((path or default_path()).read_text())
    return tuple(_rule(entry) for entry in spec["mappings"])


def _rule(entry: dict) -> Rule:
    if entry.get("match_type", "glob") != "glob":
        raise ValueError(f"{entry['match']}: only glob rules are understood here")
    return Rule(entry["match"], entry["name"], dict(entry.get("labels") or {}), entry.get("action") == "drop")


def parse_tags(line_name: str) -> tuple[str, dict[str, str]]:
    """`airflow.ti.finish,dag_id=a,state=success` -> ("airflow.ti.finish", {...})."""
    name, *tags = line_name.split(",")
    return name, dict(tag.split("=", 1) for tag in tags if "=" in tag)


def apply(rules: tuple[Rule, ...], metric: str) -> Mapped | None:
    """What statsd-exporter exports for a StatsD name (tags included): None when no rule matches
    (it would be auto-named, without labels) or a drop rule does."""
    name, tags = parse_tags(metric)
    for rule in rules:
        found = rule.pattern.fullmatch(name)
        if found:
            if rule.drop:
                return None
            labels = {key: _expand(value, found.groups()) for key, value in rule.labels.items()}
            return Mapped(rule.name, {**tags, **labels})
    return None


def _expand(template: str, groups: tuple[str, ...]) -> str:
    return re.sub(r"\$\{?(\d+)\}?", lambda m: groups[int(m.group(1)) - 1], template)


def exported_names(rules: tuple[Rule, ...]) -> set[str]:
    """Every Prometheus name a rule can produce."""
    return {rule.name for rule in rules if not rule.drop}
