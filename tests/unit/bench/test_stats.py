"""The bench's pure parts: percentiles, ratios, verdicts, PSS parsing, the printed report."""

from __future__ import annotations

import pytest

from bench import report, stats


def test_percentile_interpolates_like_numpy() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert stats.percentile(values, 50) == 3.0
    assert stats.percentile(values, 0) == 1.0
    assert stats.percentile(values, 100) == 5.0
    assert stats.percentile([1.0, 2.0], 95) == pytest.approx(1.95)
    assert stats.percentile([], 50) is None
    with pytest.raises(ValueError):
        stats.percentile(values, 101)


def test_ratio_and_rate_refuse_missing_or_zero_baselines() -> None:
    assert stats.ratio(3.0, 1.5) == 2.0
    assert stats.ratio(None, 1.0) is None
    assert stats.ratio(1.0, 0) is None
    assert stats.rate(100, 4.0) == 25.0
    assert stats.rate(100, 0) is None


def test_targets_report_met_missed_and_missing() -> None:
    assert stats.target("gap", 0.4, "<=", 0.5)["verdict"] == "met"
    assert stats.target("gap", 0.6, "<=", 0.5)["verdict"] == "missed"
    assert stats.target("speedup", 2.0, ">=", 2.0)["verdict"] == "met"
    assert stats.target("speedup", None, ">=", 2.0)["verdict"] == "n/a"
    with pytest.raises(ValueError):
        stats.target("x", 1.0, "<", 2.0)


def test_chain_gaps_are_next_start_minus_previous_end() -> None:
    chain = [(0.0, 1.0), (1.5, 2.0), (2.25, 3.0)]
    assert stats.gaps(chain) == [0.5, 0.25]
    assert stats.gaps(chain[:1]) == []


def test_pss_is_read_from_smaps_rollup() -> None:
    rollup = "00400000-7fff [rollup]\nRss:     20480 kB\nPss:     12345 kB\nPss_Anon: 100 kB\n"
    assert stats.pss_kib(rollup) == 12345
    with pytest.raises(ValueError):
        stats.pss_kib("Rss: 1 kB\n")


def test_own_process_pss_is_positive() -> None:
    from pathlib import Path

    from bench.stack import process_tree_pss

    import os

    kib, count = process_tree_pss([os.getpid()])
    assert count >= 1 and kib > 0
    assert Path("/proc/self/smaps_rollup").exists()


def test_cpu_seconds_count_reaped_children_once() -> None:
    import os
    import subprocess

    from bench.stack import _cpu_seconds

    me = os.getpid()
    before = _cpu_seconds([me])
    # A child that burns CPU and is reaped: its time must show up in the tree's total,
    # and only in the tree's (the process alone, -pid, leaves it out).
    subprocess.run(["python3", "-c", "sum(i * i for i in range(3_000_000))"], check=True)
    assert _cpu_seconds([me]) - before > 0.05
    assert _cpu_seconds([-me]) < _cpu_seconds([me])


def test_parent_pid_of_a_child_is_us() -> None:
    import os
    import subprocess

    from bench.stack import _parent_pid

    child = subprocess.Popen(["sleep", "5"])
    try:
        assert _parent_pid(child.pid) == os.getpid()
    finally:
        child.kill()
        child.wait()
    assert _parent_pid(2**22 + 12345) is None


def test_report_renders_every_section() -> None:
    result = {
        "mode": "quick", "runtime": "local", "started_at": "now", "machine": {"cores": 2}, "note": "shared",
        "load": {"sizes": {"1000": {
            "server COPY (pre-serialised text)": {"rows": 1000, "seconds": 0.025, "rows_per_s": 40000.0,
                                                  "ratio_to_server_copy": 1.0, "ratio_to_raw_copy": 4.0},
            "raw COPY (empty table)": {"rows": 1000, "seconds": 0.1, "rows_per_s": 10000.0,
                                       "ratio_to_server_copy": 0.25, "ratio_to_raw_copy": 1.0},
            "airkit upsert (new keys)": {"rows": 1000, "seconds": 0.2, "rows_per_s": 5000.0,
                                         "ratio_to_server_copy": 0.125, "ratio_to_raw_copy": 0.5},
        }}},
        "stack": {"runtime": "local",
                  "scheduling": {"tuned": {"chain_gap_p50_s": 0.4, "fanout_tasks_per_s": 2.0}},
                  "startup": {"tuned": {"cold_s": 20.0}},
                  "footprints": {"tuned": {"components": {"postgres": {"pss_mib": 50.0, "processes": 8,
                                                                        "idle_cpu_pct": 1.5}},
                                           "total_mib": 50.0, "idle_cpu_pct_total": 1.5, "idle_after_s": 5}}},
        "targets": [stats.target("gap", 0.4, "<=", 0.5, " s")],
        "errors": ["stack: boom"],
        "duration_s": 12.0,
    }
    text = report.render(result)
    for expected in ("Bulk load, 1,000 events", "x server COPY", "server COPY (pre-serialised text)", "4.00",
                     "0.25", "airkit upsert (new keys)", "0.50", "Scheduling", "cold s",
                     "postgres", "1.50", "CPU %", "4,096", "met", "ERROR stack: boom", "note: shared"):
        assert expected in text
