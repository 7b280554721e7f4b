"""The suite section keeps pytest's --durations table: where the suite's time went."""
from __future__ import annotations

import subprocess

from bench.suite import slowest, summary

OUTPUT = """\
tests/integration/test_events_etl.py ....
============================= slowest 10 durations =============================
89.68s call     tests/integration/faults/test_component_faults.py::test_postgres_restarted_mid_load
53.47s call     tests/integration/test_events_etl.py::test_backfilling_twice_gives_identical_checksums

(8 durations < 0.005s hidden.  Use -vv to show these durations.)
=========================== short test summary info ============================
"""


def test_the_durations_table_is_kept_line_by_line():
    assert slowest(OUTPUT) == [
        "89.68s call     tests/integration/faults/test_component_faults.py::test_postgres_restarted_mid_load",
        "53.47s call     tests/integration/test_events_etl.py::test_backfilling_twice_gives_identical_checksums",
    ]


def test_no_table_gives_an_empty_list():
    assert slowest("1 passed in 0.1s\n") == []


def test_the_summary_is_pytests_last_lines_not_the_chatter_on_stderr():
    passed = subprocess.CompletedProcess([], 0, "...\n== 3 passed in 9.00s ==\n", "compose: warning\n Built\n")
    assert summary(passed) == ["...", "== 3 passed in 9.00s =="]
    failed = subprocess.CompletedProcess(
        [], 2, "FAILED tests/a.py::test_b - boom\nSKIPPED [1] x\nSKIPPED [1] y\nSKIPPED [1] z\n== 1 failed ==\n",
        "x\nmake: *** [test-integration] Error 1\n")
    assert summary(failed) == ["FAILED tests/a.py::test_b - boom", "SKIPPED [1] y", "SKIPPED [1] z", "== 1 failed ==",
                               "make: *** [test-integration] Error 1"]


def test_execution_api_trouble_is_counted_in_every_log_below(tmp_path):
    from bench.suite import api_trouble

    task_log = tmp_path / "airflow" / "dag_id=d" / "run_id=r" / "task_id=t" / "attempt=1.log"
    task_log.parent.mkdir(parents=True)
    task_log.write_text(
        '{"event": "Starting call to \'airflow.sdk.api.client.Client.request\', this is the 2nd time calling it."}\n'
        "httpx.ReadTimeout: timed out\n"
        "an ordinary line about a timeout\n"
    )
    (tmp_path / "airflow-worker.log.1").write_text("httpcore.ConnectTimeout\nReadTimeoutError is not ours\n")
    assert api_trouble(tmp_path) == {"timeouts": 2, "retries": 1}
