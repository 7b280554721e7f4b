"""The upgrade check's static half (`make upgrade-check`), run for real on both lines' venvs.

Trap DAGs written the 2.x way (tests/fixtures/upgrade_traps/dags): each trap a parse or ruff can
see is flagged with its known change. The silent ones parse the same on both lines; that they
look "same" here is the static half's blind spot, which only running them closes.
"""
from __future__ import annotations

import pytest

from airkit.compat import AIRFLOW_MAJOR
from airkit.stack import project
from airkit.upgrade import report, static
from airkit.upgrade.hints import hints_for
from tests.fixtures.upgrade_traps import CLEAN, SILENT, STATIC
from tests.fixtures.upgrade_traps import DAGS as TRAPS

pytestmark = pytest.mark.skipif(AIRFLOW_MAJOR != 3, reason="runs once, in the default line's unit suite: "
                                                           "it parses on both lines itself")


@pytest.fixture(scope="module")
def traps() -> dict:
    return report.build(static.check(TRAPS, None))


def test_every_trap_file_is_covered_here():
    assert {p.name for p in TRAPS.glob("*.py")} == set(STATIC) | set(SILENT) | CLEAN


@pytest.mark.parametrize("name", sorted(STATIC))
def test_a_trap_static_checks_can_see_is_flagged_with_its_change(traps, name):
    kind, change = STATIC[name]
    findings = traps["files"][name]["findings"]
    assert traps["files"][name]["verdict"] == "differs"
    assert any(f["kind"] == kind and change in {h["change"] for h in f["hints"]} for f in findings), findings


def test_silent_traps_look_the_same_to_static_checks(traps):
    quiet = set(SILENT) | CLEAN
    assert {name for name in quiet if traps["files"][name]["verdict"] == "same"} == quiet


def test_the_projects_own_dags_and_env_file_need_nothing_for_airflow_3():
    own = report.build(static.check(project.dags_dir(), project.env_example(), [project.root() / "src"]))
    assert not report.needs_work(own), report.markdown(own)
    assert "create_cron_data_intervals" in str(own["config_lint"])  # noted: the env file sets the 2.x value


def test_hints_match_what_the_lines_say():
    assert [c.key for c in hints_for("ModuleNotFoundError: No module named 'airflow.datasets'")] == ["datasets"]
    assert [c.key for c in hints_for("TypeError: DAG.__init__() got an unexpected keyword argument 'fail_stop'")] \
        == ["fail_stop"]
    ddl = ('events_etl 2024-01-01: task create_tables returned null on 2.11.2, '
           '[{"__classname__": "builtins.tuple", "__data__": [""], "__version__": 1}] on 3.3.2')
    assert [c.key for c in hints_for(ddl)] == ["sql_empty_result"]
    assert hints_for("nothing Airflow changed") == []


def test_a_path_that_is_not_there_is_an_error_not_a_clean_bill(tmp_path):
    # ruff only warns on a missing path and reports no findings (make's built-in LINT=lint once
    # sent the check to lint a folder called "lint").
    with pytest.raises(FileNotFoundError, match="nothing to lint"):
        static.ruff_findings([tmp_path / "not-there"])
