"""Where the checkout's parts are, and a clear error where one is missing."""
from __future__ import annotations

import pytest

from airkit.stack import project
from airkit.stack.errors import StackError


def test_a_missing_venv_names_the_command_that_makes_it(monkeypatch, tmp_path) -> None:
    (tmp_path / ".env.example").write_text("")
    monkeypatch.setenv("AIRKIT_PROJECT_DIR", str(tmp_path))
    with pytest.raises(StackError, match="make install AIRFLOW_LINE=2"):
        project.venv_python(2)


def test_a_lines_venv_python_is_found_in_the_checkout(monkeypatch, tmp_path) -> None:
    (tmp_path / ".env.example").write_text("")
    python = tmp_path / ".venv-airflow3" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()
    monkeypatch.setenv("AIRKIT_PROJECT_DIR", str(tmp_path))
    assert project.venv_python(3) == python.resolve()
