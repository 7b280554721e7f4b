"""The live half's comparison (airkit.upgrade.compare) and its findings in the report, on
recorded results: what differs is named, what is alike is not."""
from __future__ import annotations

import copy

from airkit.upgrade import compare, report

V = ("2.11.2", "3.3.2")


def _result(**tasks) -> dict:
    run = {"run_id": "upgrade_check__2024-01-02", "run_type": "manual", "state": "success", "seconds": 10.0,
           "tasks": {t: {"state": "success", "tries": 1, "return_value": v} for t, v in tasks.items()}}
    return {"airflow": "x", "dates": {"2024-01-02": {"runs": {"d 2024-01-02": run}, "tables": {}}}}


def test_identical_runs_differ_in_nothing():
    old = _result(a=[1, 2])
    assert compare.runs(V, old, copy.deepcopy(old)) == []


def test_a_different_return_value_names_both():
    found = compare.runs(V, _result(a=["uri"]), _result(a=[]))
    assert [(d.kind, d.dag_id) for d in found] == [("return value", "d")]
    assert '["uri"] on 2.11.2, [] on 3.3.2' in found[0].text


def test_a_failed_task_carries_its_error_and_log():
    new = _result(a=1)
    new["dates"]["2024-01-02"]["runs"]["d 2024-01-02"]["state"] = "failed"
    new["dates"]["2024-01-02"]["runs"]["d 2024-01-02"]["tasks"]["a"] = {
        "state": "failed", "tries": 1, "log_tail": ["Traceback", "TypeError: unhashable type: 'Composed'", "done"]}
    found = compare.runs(V, _result(a=1), new)
    assert [d.kind for d in found] == ["run state", "task state"]
    assert found[1].text.endswith("TypeError: unhashable type: 'Composed'")


def test_a_run_on_one_line_only_and_a_far_slower_run():
    old, new = _result(a=1), _result(a=1)
    new["dates"]["2024-01-02"]["runs"]["d 2024-01-02"]["seconds"] = 200.0
    new["dates"]["2024-01-02"]["runs"]["c 2024-01-02"] = old["dates"]["2024-01-02"]["runs"]["d 2024-01-02"]
    assert sorted(d.kind for d in compare.runs(V, old, new)) == ["duration", "run"]


def test_a_table_difference_shows_its_rows():
    old, new = _result(), _result()
    old["dates"]["2024-01-02"]["tables"] = {"events:day": {"count": 1, "digest": "a", "rows": ["(1,2024-01-01)"]}}
    new["dates"]["2024-01-02"]["tables"] = {"events:day": {"count": 1, "digest": "b", "rows": ["(1,2024-01-02)"]}}
    [found] = compare.tables(V, old, new)
    assert "- (1,2024-01-01)" in found.text and "+ (1,2024-01-02)" in found.text


def test_a_silent_difference_gets_its_hint_from_the_dag_source(tmp_path):
    (tmp_path / "d.py").write_text("def window(data_interval_start=None): ...\n")
    parse = {"airflow": "", "files": {"d.py": {"dags": ["d"], "error": None, "warnings": []}}}
    static = {"dags_dir": str(tmp_path), "ruff": [], "config_lint": [],
              "parse": {"2": {**parse, "airflow": V[0]}, "3": {**parse, "airflow": V[1]}}}
    built = report.build(static, {V[0]: _result(window={"start": "01-01"}), V[1]: _result(window={"start": "01-02"})})
    [finding] = built["files"]["d.py"]["findings"]
    assert finding["kind"] == "return value" and [h["change"] for h in finding["hints"]] == ["cron_intervals"]
    assert built["files"]["d.py"]["verdict"] == "differs" and report.needs_work(built)


def test_bad_input_is_refused_before_any_stack_starts(tmp_path, capsys):
    import pytest

    from airkit.upgrade.__main__ import main

    for bad in (["--tables", "events:day;drop table x"], ["--dates", "2024-02-30"], ["--dates", "2024-01-03..2024-01-01"]):
        with pytest.raises(SystemExit) as exit_:
            main(["--dags", str(tmp_path), "--live", "--out", str(tmp_path / "out"), *bad])
        assert exit_.value.code == 2
    assert not (tmp_path / "out").exists()  # nothing written, nothing started


def test_a_task_that_never_ran_is_alike_whether_skipped_or_upstream_failed():
    old, new = _result(a=1), _result(a=1)
    tasks_old = old["dates"]["2024-01-02"]["runs"]["d 2024-01-02"]["tasks"]
    tasks_new = new["dates"]["2024-01-02"]["runs"]["d 2024-01-02"]["tasks"]
    tasks_old["publish"] = {"state": "skipped", "tries": 0}
    tasks_new["publish"] = {"state": "upstream_failed", "tries": 0}
    assert compare.runs(V, old, new) == []
    tasks_new["publish"] = {"state": "upstream_failed", "tries": 1}  # it ran: a real difference
    assert [d.kind for d in compare.runs(V, old, new)] == ["task state"]
