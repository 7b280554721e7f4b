"""airkit.stack.line: the env file speaks Airflow 3's option names, and a 2.11 process gets them
under the names 2.11 reads. Checked against the installed line's own config description, so
the suite run on each line (CI runs both) checks that line's half of the table."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from airkit.stack import envfile, line, project
from airkit.stack.settings import derived_env


def _known_options() -> set[str]:
    from airflow.configuration import conf

    return {f"AIRFLOW__{section.upper()}__{option.upper()}"
            for section, spec in conf.configuration_description.items() for option in spec["options"]}


def _airflow_keys(values: dict[str, str]) -> set[str]:
    return {key for key in values if key.startswith("AIRFLOW__")}


def test_every_renamed_option_exists_on_this_line_under_the_name_airkit_gives_it():
    names = set(line.RENAMED_ON_2) if line.MAJOR >= 3 else set(line.RENAMED_ON_2.values())
    assert not names - _known_options(), f"not options of Airflow {line.VERSION}"


def test_every_option_the_env_example_sets_is_one_this_line_reads(env_values):
    given = _airflow_keys(line.airflow_env(env_values))
    # The celery provider's and the standard provider's options are not in core's description.
    unknown = {k for k in given - _known_options() if not k.startswith(("AIRFLOW__CELERY__", "AIRFLOW__STANDARD__"))}
    if line.MAJOR < 3:
        # Airflow 3's own options (JWT secret, ...) reach 2.11 too, and 2.11 ignores them.
        unknown -= {k for k in unknown if k not in line.RENAMED_ON_2}
    assert not unknown, f"Airflow {line.VERSION} has no such options"


def test_the_env_example_names_no_option_by_its_2_11_name(env_values):
    assert not _airflow_keys(env_values) & set(line.RENAMED_ON_2.values())


def test_a_2_11_process_gets_the_old_names_and_its_line_settings():
    env = line.airflow_env({"AIRFLOW__API__SECRET_KEY": "s", "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                            "AIRFLOW__WEBSERVER__WORKERS": "3"}, major=2)
    assert env["AIRFLOW__WEBSERVER__SECRET_KEY"] == "s" and "AIRFLOW__API__SECRET_KEY" not in env
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__WEBSERVER__WORKERS"] == "3", "an env file value wins over the line's setting"
    assert "basic_auth" in env["AIRFLOW__API__AUTH_BACKENDS"]
    assert line.airflow_env({"AIRFLOW__API__SECRET_KEY": "s"}, major=3) == {"AIRFLOW__API__SECRET_KEY": "s"}


@pytest.mark.skipif(line.MAJOR < 3, reason="`airflow config lint` checks readiness for Airflow 3")
def test_airflow_config_lint_finds_nothing_in_the_stack_settings(env_values, tmp_path):
    settings = {**env_values, **derived_env(env_values, "local")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({k: v for k, v in settings.items() if k.startswith("AIRFLOW__")}, AIRFLOW_HOME=str(tmp_path))
    # Lint also lists options whose default changed in 3.0 when a config sets them. These two are
    # set on purpose: CeleryExecutor is the stack, and the cron intervals keep daily runs on
    # finished days (.env.example says why). Anything else it reports fails the test.
    deliberate = ["--ignore-option", "executor,create_cron_data_intervals"]
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "airflow"), "config", "lint", *deliberate],
                            env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0 and "No issues found" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_line_is_the_lock_the_venv_was_built_from():
    pins = project.lock_file().read_text()
    assert f"apache-airflow=={line.VERSION}\n" in pins, f"{project.lock_file()} does not pin Airflow {line.VERSION}"
    assert envfile.parse(project.env_example())["AIRFLOW_LINE"] == "3", "the default line"
