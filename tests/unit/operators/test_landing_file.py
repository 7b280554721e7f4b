"""WriteLandingFileOperator: writes inside the landing folder only, and overwrites on rerun."""

from __future__ import annotations

from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airkit.operators.landing_file import WriteLandingFileOperator


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AIRKIT_DATA_DIR", str(tmp_path))
    return tmp_path


def write(relpath: str, content: str) -> str:
    return WriteLandingFileOperator(task_id="write", relpath=relpath, content=content).execute(context={})


def test_template_fields_are_named_after_the_arguments() -> None:
    assert set(WriteLandingFileOperator.template_fields) == {"relpath", "content"}
    with pytest.raises(Exception, match="keyword arguments"):
        WriteLandingFileOperator("write", "a.txt", "x")


def test_writes_and_overwrites(data_dir: Path) -> None:
    path = write("notes/2024-01-05.txt", "first")
    assert path == str(data_dir / "notes" / "2024-01-05.txt")
    write("notes/2024-01-05.txt", "second")
    assert Path(path).read_text() == "second"
    assert [p.name for p in (data_dir / "notes").iterdir()] == ["2024-01-05.txt"], "no temp files left"


@pytest.mark.parametrize("relpath", ["", "/etc/passwd", "../outside.txt", "a/../../b.txt"])
def test_refuses_paths_outside_the_landing_folder(data_dir: Path, relpath: str) -> None:
    with pytest.raises(AirflowFailException, match="relative path inside the landing folder"):
        write(relpath, "x")
    assert not (data_dir.parent / "outside.txt").exists()


def test_needs_the_landing_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRKIT_DATA_DIR", raising=False)
    with pytest.raises(AirflowFailException, match="AIRKIT_DATA_DIR"):
        write("a.txt", "x")
