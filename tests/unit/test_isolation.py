"""airkit.isolation: the isolated environment's paths, with a clear error when missing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from airflow.exceptions import AirflowFailException

from airkit.isolation import isolated_python, wheelhouse


def test_returns_existing_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRKIT_ISOLATED_PYTHON", sys.executable)
    monkeypatch.setenv("AIRKIT_WHEELHOUSE", str(tmp_path))
    assert isolated_python() == sys.executable
    assert wheelhouse() == str(tmp_path)


@pytest.mark.parametrize("value", ["", "/nonexistent/bin/python"])
def test_missing_or_unset_is_a_clear_failure(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRKIT_ISOLATED_PYTHON", value)
    monkeypatch.setenv("AIRKIT_WHEELHOUSE", value)
    with pytest.raises(AirflowFailException, match="AIRKIT_ISOLATED_PYTHON"):
        isolated_python()
    with pytest.raises(AirflowFailException, match="AIRKIT_WHEELHOUSE"):
        wheelhouse()
