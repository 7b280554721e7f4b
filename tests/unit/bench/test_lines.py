"""The side-by-side comparison of two Airflow lines (bench/lines.py) and its table."""

from __future__ import annotations

from bench import lines, report


def _stack(cold: float, pss: float, gap: float, worker_after: float) -> dict:
    return {"runtime": "local", "startup": {"tuned": {"cold_s": cold}},
            "footprint": {"total_mib": pss, "idle_cpu_pct_total": 10.0},
            "scheduling": {"tuned": {"chain_gap_p50_s": gap, "fanout_tasks_per_s": 2.0,
                                     "worker_pss_after_mib": worker_after}}}


LINES = {"3.3.2": {"stack": _stack(40.0, 1400.0, 0.8, 700.0)},
         "2.11.2": {"stack": _stack(20.0, 1000.0, 0.4, 350.0)}}


def test_each_metric_has_both_values_and_the_first_line_over_the_other() -> None:
    rows = {row["metric"]: row for row in lines.compare(LINES)}
    assert rows["cold start"]["values"] == {"3.3.2": 40.0, "2.11.2": 20.0}
    assert rows["cold start"]["ratios"] == {"2.11.2": 2.0}
    assert rows["chain gap p50"]["ratios"] == {"2.11.2": 2.0}
    assert rows["worker PSS after the fan-out"]["ratios"] == {"2.11.2": 2.0}
    # Not measured (quick runs have no warm restart): no value, no ratio, no error.
    assert rows["warm start"]["values"] == {"3.3.2": None, "2.11.2": None}
    assert rows["warm start"]["ratios"] == {"2.11.2": None}


def test_the_report_puts_the_lines_side_by_side() -> None:
    result = {"machine": {}, "stack": LINES["3.3.2"]["stack"], "lines": LINES,
              "line_comparison": lines.compare(LINES)}
    text = report.render(result)
    assert "3.3.2 vs 2.11.2" in text
    assert "3.3.2 / 2.11.2" in text
