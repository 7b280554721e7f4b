"""What the bench compares: the tuned .env.example against Airflow's real defaults."""

from __future__ import annotations

import pytest

from bench import load, stack

from ..conftest import dag_bag

REPO = stack.REPO


def test_airflow_defaults_match_airflow_itself() -> None:
    from airflow.configuration import conf

    for var, value in stack.AIRFLOW_DEFAULTS.items():
        _, section, key = var.lower().split("__", 2)
        default = conf.get_default_value(section, key)
        if default is None:  # provider options (celery) are not in core's defaults
            continue
        assert str(default) == value, var


def test_every_benchmarked_knob_is_explained_in_env_example() -> None:
    from airkit.stack import envfile, line

    tuned = envfile.parse(REPO / ".env.example")
    text = (REPO / ".env.example").read_text()
    for var in stack.AIRFLOW_DEFAULTS:
        if var in line.LINE_SETTINGS[line.MAJOR]:
            continue  # a one-line knob, set and explained in airkit/stack/line.py
        assert var in tuned, f"{var} is benchmarked but not set in .env.example"
        comment = text[: text.index(f"\n{var}=")].rsplit("\n\n", 1)[-1]
        assert "#" in comment, f"{var} has no explanation above it"


def test_config_overrides() -> None:
    assert stack.config_overrides("tuned") == {}
    assert stack.config_overrides("airflow-defaults")["AIRFLOW__CELERY__WORKER_AUTOSCALE"] == ""
    with pytest.raises(ValueError):
        stack.config_overrides("fast")


def test_bench_dags_are_valid_and_outside_the_catalogue() -> None:
    bag = dag_bag(stack.BENCH_DAGS)
    assert bag.import_errors == {}
    assert set(bag.dag_ids) == {"bench_chain", "bench_fanout", "bench_fanout_small"}
    assert len(bag.dags["bench_chain"].tasks) == 10
    assert len(bag.dags["bench_fanout"].tasks) == 100
    assert not (REPO / "dags" / "bench_chain.py").exists()


def test_synthetic_events_pass_the_package_validation() -> None:
    from airkit.events.schema import EVENT_FIELDS, EVENT_KEY
    from airkit.schema import validate_records

    records = load.synthetic_events(50)
    rows = validate_records(records, EVENT_FIELDS, key=EVENT_KEY, partition=("day", load.DAY))
    assert len({r[0] for r in rows}) == 50
