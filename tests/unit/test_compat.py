"""airkit.compat: the one place that picks between Airflow 2 and 3 spellings."""

from __future__ import annotations

import airflow
import pytest

from airkit import compat

from .conftest import REPO_ROOT, dag_bag


def test_major_is_the_installed_airflows() -> None:
    assert compat.AIRFLOW_MAJOR == int(airflow.__version__.split(".")[0])


@pytest.mark.parametrize(("major", "kwargs"), [(2, {"fail_stop": True}), (3, {"fail_fast": True})])
def test_fail_fast_kwargs_use_the_lines_name(monkeypatch, major, kwargs) -> None:
    monkeypatch.setattr(compat, "AIRFLOW_MAJOR", major)
    assert compat.fail_fast_kwargs() == kwargs


def test_lesson_fail_stop_stops_at_the_first_failure() -> None:
    bag = dag_bag(REPO_ROOT / "dags" / "lesson_fail_stop.py")
    assert not bag.import_errors
    dag = bag.dags["lesson_fail_stop"]
    assert getattr(dag, "fail_fast", None) or getattr(dag, "fail_stop", None)
