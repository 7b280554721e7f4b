"""The dependency-isolation lesson's environments: the isolated interpreter and the wheelhouse."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from packaging.requirements import Requirement

from airkit.isolation import isolated_python
from airkit.stack import project, settings
from airkit.stack.processes import ProcessStack

from .conftest import REPO_ROOT, dag_bag


def test_returns_the_existing_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRKIT_ISOLATED_PYTHON", sys.executable)
    assert isolated_python() == sys.executable


@pytest.mark.parametrize("value", ["", "/nonexistent/bin/python"])
def test_missing_or_unset_is_a_clear_failure(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRKIT_ISOLATED_PYTHON", value)
    with pytest.raises(AirflowFailException, match="AIRKIT_ISOLATED_PYTHON"):
        isolated_python()


def test_virtualenv_requirements_are_pins_only() -> None:
    # Airflow 3's standard provider parses every line as a PEP 508 requirement: no pip options.
    bag = dag_bag(REPO_ROOT / "dags" / "dependency_isolation.py")
    assert not bag.import_errors
    requirements = bag.dags["dependency_isolation"].get_task("virtualenv").requirements
    assert requirements and [str(Requirement(line)) for line in requirements] == list(requirements)


def test_both_runtimes_point_the_workers_pip_at_the_wheelhouse_only(tmp_path: Path) -> None:
    env_file = settings.isolated_env_file(project.env_example(), tmp_path / ".env")
    local = ProcessStack(env_file, tmp_path / "state", dags_dir=tmp_path).env
    assert local["PIP_NO_INDEX"] == "1" and local["PIP_FIND_LINKS"] == local["AIRKIT_WHEELHOUSE"]

    # The image sets them next to its wheelhouse, from the same variable.
    dockerfile = (REPO_ROOT / "compose" / "airflow" / "Dockerfile").read_text()
    assert "ENV PIP_NO_INDEX=1 PIP_FIND_LINKS=${AIRKIT_WHEELHOUSE}" in dockerfile
