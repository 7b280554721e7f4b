"""Integrity of every DAG file in dags/: the checks a DAG must pass before review.

Parsing needs no metadata DB, no connections and no AIRKIT_DATA_DIR (conftest removes
them): a DAG that reads them at import time does work at parse time, and fails here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from airflow.models import DagBag
from airflow.utils.dag_cycle_tester import check_cycle

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
MIN_RETRIES = 2


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(dag_folder=str(DAGS_DIR), include_examples=False, safe_mode=False)


def _dags_of(dagbag: DagBag, path: Path):
    return [d for d in dagbag.dags.values() if Path(d.fileloc).resolve() == path.resolve()]


def test_dags_folder_is_not_empty() -> None:
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}"


def test_no_import_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}, "\n\n".join(f"{f}:\n{e}" for f, e in dagbag.import_errors.items())


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
class TestEveryDagFile:
    def test_defines_a_dag_named_after_the_file(self, dagbag: DagBag, path: Path) -> None:
        dags = _dags_of(dagbag, path)
        assert dags, f"{path.name} defines no DAG (or failed to import: {dagbag.import_errors.get(str(path))})"
        if len(dags) == 1:
            assert dags[0].dag_id == path.stem, "one DAG per file, dag_id = file name"

    def test_no_cycles(self, dagbag: DagBag, path: Path) -> None:
        for dag in _dags_of(dagbag, path):
            check_cycle(dag)

    def test_documented_and_tagged(self, dagbag: DagBag, path: Path) -> None:
        for dag in _dags_of(dagbag, path):
            assert dag.tags, f"{dag.dag_id}: no tags"
            assert dag.doc_md and dag.doc_md.strip(), f"{dag.dag_id}: no doc_md"

    def test_fixed_start_date(self, dagbag: DagBag, path: Path) -> None:
        for dag in _dags_of(dagbag, path):
            start = dag.start_date or min((t.start_date for t in dag.tasks if t.start_date), default=None)
            assert start is not None, f"{dag.dag_id}: no start_date"
            assert start.tzinfo is not None, f"{dag.dag_id}: start_date must be timezone-aware"

    def test_retries(self, dagbag: DagBag, path: Path) -> None:
        for dag in _dags_of(dagbag, path):
            too_few = {t.task_id: t.retries for t in dag.tasks if t.retries < MIN_RETRIES}
            assert not too_few, f"{dag.dag_id}: tasks with retries < {MIN_RETRIES}: {too_few}"
            for t in dag.tasks:
                assert t.retry_delay <= timedelta(minutes=30), f"{dag.dag_id}.{t.task_id}: retry_delay too long"

    def test_failure_callback(self, dagbag: DagBag, path: Path) -> None:
        for dag in _dags_of(dagbag, path):
            if dag.on_failure_callback:
                continue
            silent = [t.task_id for t in dag.tasks if not t.on_failure_callback]
            assert not silent, f"{dag.dag_id}: no DAG on_failure_callback and tasks without one: {silent}"
