"""`make upgrade-check`, live, on the trap repo (tests/fixtures/upgrade_traps): each trap DAG,
written the 2.x way, is flagged with the known change behind it -- the silent ones too, which
parse alike on both lines and only differ when they run.

Starts a 2.11 stack and a 3.3 stack in turn (local runtime), so it runs on its own (`make
test-upgrade`), not beside the integration suite's stack. Airflow 3's default for cron data
intervals applies on 3.3 (`--line-default`), as on a deployment that never set it.
"""
from __future__ import annotations

import json

import pytest

from airkit.upgrade.__main__ import main
from tests.fixtures.upgrade_traps import CLEAN, SILENT, STATIC
from tests.fixtures.upgrade_traps import DAGS as TRAPS

FLAGGED = {**STATIC, **SILENT}


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[int, dict, str]:
    out = tmp_path_factory.mktemp("upgrade-check")
    code = main(["--dags", str(TRAPS), "--live", "--dates", "2024-01-02", "--out", str(out),
                 "--line-default", "AIRFLOW__SCHEDULER__CREATE_CRON_DATA_INTERVALS", "--runtime", "local"])
    return code, json.loads((out / "upgrade-report.json").read_text()), (out / "upgrade-report.md").read_text()


def test_every_trap_file_is_covered_here():
    assert {p.name for p in TRAPS.glob("*.py")} == set(FLAGGED) | CLEAN


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_each_trap_is_flagged_with_its_change(checked, name):
    _, report, _ = checked
    kind, change = FLAGGED[name]
    findings = report["files"][name]["findings"]
    assert any(f["kind"] == kind and change in {h["change"] for h in f["hints"]} for f in findings), \
        json.dumps(findings, indent=1)


def test_the_silent_consumer_shows_what_each_line_returned(checked):
    _, report, markdown = checked
    texts = [f["text"] for f in report["files"]["trap_triggering_dataset_events.py"]["findings"]]
    assert any("trap_upstream" in t and "[]" in t for t in texts), texts  # a list of URIs vs nothing
    assert "triggering_asset_events" in markdown


def test_the_clean_producer_is_the_same_and_the_check_fails(checked):
    code, report, _ = checked
    assert [report["files"][name]["verdict"] for name in sorted(CLEAN)] == ["same"] * len(CLEAN)
    assert report["live"]["runs"] and all(n >= 6 for n in report["live"]["runs"].values()), report["live"]
    assert code == 1
