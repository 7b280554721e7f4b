"""Render a results dict (bench/results/*.json) as the tables `make bench` prints."""

from __future__ import annotations

from typing import Any

from bench.stats import fmt, table


def render(result: dict[str, Any]) -> str:
    m = result.get("machine", {})
    parts = [
        f"airkit bench ({result.get('mode')}, RUNTIME={result.get('runtime')}) {result.get('started_at')}: "
        f"{m.get('cores')} cores, {m.get('memory_gib')} GiB, {m.get('cpu_model')}, kernel {m.get('kernel')}, "
        f"Python {m.get('python')}, Airflow {m.get('airflow')}"
    ]
    if result.get("note"):
        parts.append(f"note: {result['note']}")
    for size, methods in (result.get("load") or {}).get("sizes", {}).items():
        parts.append(f"\n## Bulk load, {int(size):,} events")
        parts.append(table(
            ["method", "rows", "seconds", "rows/s", "x server COPY", "x raw COPY", "note"],
            [[name, v["rows"], v["seconds"], v["rows_per_s"], v.get("ratio_to_server_copy"),
              v.get("ratio_to_raw_copy"), v.get("note", "")]
             for name, v in methods.items()],
        ))
    st = result.get("stack") or {}
    if st.get("scheduling"):
        parts.append(f"\n## Scheduling ({st.get('runtime')} stacks)")
        rows = []
        for config, s in st["scheduling"].items():
            rows.append([config, s.get("chain_gap_p50_s"), s.get("chain_gap_p95_s"),
                         s.get("chain_end_to_queued_p50_s"), s.get("chain_queued_to_start_p50_s"),
                         s.get("fanout_tasks"), s.get("fanout_seconds"), s.get("fanout_tasks_per_s"),
                         s.get("fanout_cpu_s_per_task"), s.get("fanout_cpu_bound_tasks_per_s")])
        parts.append(table(["config", "chain gap p50 s", "gap p95 s", "end->queued p50", "queued->start p50",
                            "fan-out tasks", "fan-out s", "tasks/s", "CPU s/task", "CPU-bound tasks/s"], rows))
    if st.get("startup"):
        parts.append("\n## Start-up to all healthy")
        parts.append(table(["config", "cold s", "warm s"],
                           [[c, v.get("cold_s"), v.get("warm_s")] for c, v in st["startup"].items()]))
    if st.get("footprints"):
        fps = st["footprints"]
        configs = list(fps)
        idle = next(iter(fps.values())).get("idle_after_s")
        parts.append(f"\n## Idle footprint (process trees, {idle} s after healthy): PSS MiB, CPU % of one core")
        names = sorted({n for fp in fps.values() for n in fp["components"]})

        def cells(fp: dict[str, Any], name: str) -> list[Any]:
            c = fp["components"].get(name, {})
            return [c.get("pss_mib"), c.get("idle_cpu_pct")]

        rows = [[n, *[v for c in configs for v in cells(fps[c], n)]] for n in names]
        rows.append(["TOTAL", *[v for c in configs for v in (fps[c]["total_mib"], fps[c].get("idle_cpu_pct_total"))]])
        rows.append(["official docker-compose asks for", *[v for _ in configs for v in (4096.0, None)]])
        parts.append(table(["component", *[f"{c} {k}" for c in configs for k in ("MiB", "CPU %")]], rows))
    if result.get("line_comparison"):
        versions = list(result["lines"])
        parts.append(f"\n## Airflow lines side by side ({st.get('runtime')}, tuned config): "
                     + " vs ".join(versions))
        parts.append(table(
            ["metric", "unit", *versions, *[f"{versions[0]} / {v}" for v in versions[1:]]],
            [[row["metric"], row["unit"], *[row["values"].get(v) for v in versions],
              *[row["ratios"].get(v) for v in versions[1:]]] for row in result["line_comparison"]],
        ))
    if result.get("suite"):
        s = result["suite"]
        parts.append(f"\n## Test suite: `{s.get('command')}` {fmt(s.get('seconds'))} s (exit {s.get('exit_code')})")
        if s.get("after"):
            a = s["after"]
            parts.append(f"execution API during the suite: {a.get('timeouts')} timeout and {a.get('retries')} retry "
                         f"log lines; api-server PSS afterwards {fmt(a.get('apiserver_pss_mib'))} MiB")
        if s.get("slowest"):
            parts.append("slowest (pytest --durations):\n" + "\n".join(f"  {line}" for line in s["slowest"]))
    if result.get("targets"):
        parts.append("\n## Targets (reported, not enforced)")
        parts.append(table(["target", "measured", "goal", "verdict"],
                           [[t["name"], t["value"], f"{t['op']} {fmt(t['target'])}{t.get('unit', '')}",
                             t["verdict"]] for t in result["targets"]]))
    for err in result.get("errors") or []:
        parts.append(f"ERROR {err}")
    parts.append(f"\nbench duration: {fmt(result.get('duration_s'))} s")
    return "\n".join(parts)
