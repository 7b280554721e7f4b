"""How a kata's check meets its DAG: the `kata` fixture loads the version under test into the
live stack (the trainee's katas/<kata>/dag.py by default) with the kata's tables dropped first.

    --kata-solutions    check the reference solutions instead (they must pass)
    --kata-both-ways    CI: each check runs on the broken version, which must FAIL with the
                        check's EXPECT message, and on the solution, which must pass

Each check module defines LESSON, HINT, EXPECT (a piece of the failure message the broken
version must give), DAG_ID and TABLES. A failed check shows the lesson and the hint.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg2 import sql

from airkit import katas

EXERCISE, SOLUTION = "exercise", "solution"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katas")
    group.addoption("--kata-solutions", action="store_true", help="check the reference solutions")
    group.addoption("--kata-both-ways", action="store_true",
                    help="the broken version must fail with the expected message, the solution pass")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "kata_version" not in metafunc.fixturenames:
        return
    config = metafunc.config
    versions = ([EXERCISE, SOLUTION] if config.getoption("--kata-both-ways")
                else [SOLUTION] if config.getoption("--kata-solutions") else [EXERCISE])
    metafunc.parametrize("kata_version", versions)


@dataclass(frozen=True)
class LoadedKata:
    dag_id: str
    version: str
    path: Path


@pytest.fixture
def kata(request: pytest.FixtureRequest, kata_version: str, dag_file, warehouse) -> LoadedKata:
    """The kata's DAG, loaded into the stack as `<DAG_ID>.py`, its tables gone (a fresh start)."""
    module = request.module
    this = katas.Kata(Path(module.__file__).parent)
    with warehouse.cursor() as cur:
        for table in module.TABLES:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
    path = this.dag if kata_version == EXERCISE else this.solution
    dag_file(path, dag_id=module.DAG_ID)
    return LoadedKata(module.DAG_ID, kata_version, path)


def _proving_broken(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return (item.config.getoption("--kata-both-ways") and callspec is not None
            and callspec.params.get("kata_version") == EXERCISE)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """--kata-both-ways: the broken version passes only by failing as the check teaches."""
    if not _proving_broken(item):
        return (yield)
    expect = item.module.EXPECT
    try:
        yield
    except AssertionError as exc:
        if expect not in str(exc):
            raise AssertionError(f"the broken version failed, but not with {expect!r}:\n{exc}") from exc
        return None
    raise AssertionError(f"the broken version PASSED its check (expected a failure with {expect!r}): "
                         "the kata teaches nothing")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when != "call" or not hasattr(item.module, "LESSON"):
        return report
    if report.failed and not _proving_broken(item):
        report.sections.append(("the lesson", f"{item.module.LESSON}\n\nHint: {item.module.HINT}"))
    if not item.config.getoption("--kata-both-ways") and not item.config.getoption("--kata-solutions"):
        katas.record(Path(item.module.__file__).parent.name, report.passed, report.duration)
    return report

