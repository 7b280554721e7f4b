"""operators_showcase and dependency_isolation: each operator kind runs on the live stack."""
from __future__ import annotations

import re

import pytest

from airkit.stack import project

pytestmark = pytest.mark.integration
UNPAUSES = ("operators_showcase", "dependency_isolation")  # paused again afterwards (conftest.py)


def test_every_operator_kind_runs_and_renders_the_logical_date(airflow_stack, run_dag):
    dag_id = "operators_showcase"
    run = run_dag(dag_id)
    day, run_id = run.logical_date, run.run_id

    states = {t: ti["state"] for t, ti in airflow_stack.api.task_instances(dag_id, run_id).items()}
    assert states == dict.fromkeys(
        ["start", "classic_python", "classic_bash", "write_note", "taskflow_python", "taskflow_bash", "end"],
        "success"), states
    # BashOperator / @task.bash push the last line of stdout: the rendered command ran.
    assert airflow_stack.api.xcom(dag_id, run_id, "classic_bash") == f"bash ds={day}"
    assert airflow_stack.api.xcom(dag_id, run_id, "taskflow_bash") == f"taskflow bash ds={day}"
    assert airflow_stack.api.xcom(dag_id, run_id, "classic_python") == f"python ds={day}"
    assert airflow_stack.api.xcom(dag_id, run_id, "taskflow_python") == f"python ds={day}"
    log = airflow_stack.api.task_log(dag_id, run_id, "classic_bash", 1)
    assert f"bash ds={day}" in log, log[-2000:]
    # The package's custom operator rendered its template_fields and wrote the landing file.
    assert airflow_stack.api.xcom(dag_id, run_id, "write_note").endswith(f"/showcase/{day}.txt")
    assert airflow_stack.read_data_file(f"showcase/{day}.txt") == f"written for {day} by run {run_id}"


def _pinned(requirements: str, name: str) -> str:
    match = re.search(rf"^{name}==([\w.]+)", requirements, re.MULTILINE)
    assert match, f"{name} is not pinned in the requirements file"
    return match.group(1)


def test_isolated_tasks_import_a_version_the_main_environment_lacks(airflow_stack, run_dag):
    dag_id = "dependency_isolation"
    isolated = _pinned((project.root() / "requirements" / "isolated.txt").read_text(), "tabulate")
    locked = _pinned(project.lock_file().read_text(), "tabulate")
    assert isolated != locked, "the lesson needs two different versions"

    run_id = run_dag(dag_id, timeout=420).run_id

    main = airflow_stack.api.xcom(dag_id, run_id, "main_environment")
    external = airflow_stack.api.xcom(dag_id, run_id, "external_python")
    venv = airflow_stack.api.xcom(dag_id, run_id, "virtualenv")
    assert main["tabulate"] == locked, main
    assert external["tabulate"] == isolated, external
    assert venv["tabulate"] == isolated, venv
    # Three different interpreters: the worker's, the platform's isolated venv, a fresh virtualenv.
    assert len({main["python"], external["python"], venv["python"]}) == 3, (main, external, venv)
    # Offline: pip installed the platform's wheel, not a download from an index.
    log = airflow_stack.api.task_log(dag_id, run_id, "virtualenv", 1)
    assert f"wheelhouse/tabulate-{isolated}-" in log, log[-3000:]
