"""Entry point: ``python -m bench [--quick] [--runtime local|compose] [--sections ...]``."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("load", "stack", "suite")

# Airflow reads AIRFLOW_HOME on first import: the load benchmark imports the package's hooks in
# this process and must never touch a developer's ~/airflow (same isolation as tests/conftest.py).
_HOME = tempfile.mkdtemp(prefix="airkit-bench-home-")
os.environ.update({
    "AIRFLOW_HOME": _HOME,
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME}/bench.db",
    "AIRFLOW__LOGGING__BASE_LOG_FOLDER": f"{_HOME}/logs",
})

from airkit.stack import line as airflow_line  # noqa: E402  (after the isolation above)
from bench import report, stats  # noqa: E402


def log(message: str) -> None:
    print(f"[bench +{time.monotonic() - _T0:6.1f}s] {message}", flush=True)


_T0 = time.monotonic()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", default=os.environ.get("QUICK") == "1",
                        help="~1-2 minute smoke run (CI): small sizes, tuned config only")
    parser.add_argument("--runtime", default=os.environ.get("RUNTIME", "local"), choices=("local", "compose"))
    parser.add_argument("--sections", default=os.environ.get("BENCH_SECTIONS", ",".join(SECTIONS[:2])),
                        help=f"comma-separated subset of {SECTIONS} (suite = time `make test`, "
                             "also enabled by BENCH_SUITE=1)")
    parser.add_argument("--pg-dsn", default=os.environ.get("BENCH_PG_DSN"),
                        help="load into this database instead of a throwaway PostgreSQL")
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES"),
                        help="comma-separated row counts (default 100000,1000000; quick 20000)")
    parser.add_argument("--lines", default=os.environ.get("BENCH_LINES", ""),
                        help="Airflow lines to compare, this venv's first (e.g. 3,2): the stack section "
                             "also runs in each other line's venv, and the report puts them side by side")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--note", default=os.environ.get("BENCH_NOTE", ""),
                        help="free text stored with the results (e.g. 'machine shared with 4 other stacks')")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    if os.environ.get("BENCH_SUITE") == "1" and "suite" not in sections:
        sections.append("suite")
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else ([20_000] if args.quick else [100_000, 1_000_000])

    started = time.time()
    result: dict = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "mode": "quick" if args.quick else "full",
        "runtime": args.runtime,
        "note": args.note,
        "machine": stats.machine(),
        "targets": [],
    }
    failures: list[str] = []
    if "load" in sections:
        from airkit.testing.postgres import ThrowawayPostgres
        from bench import load

        server = None
        try:
            dsn = args.pg_dsn
            if not dsn:
                server = ThrowawayPostgres()
                dsn = server.start()
            result["load"] = load.run(dsn, sizes, log)
            result["load"]["database"] = "given by --pg-dsn" if args.pg_dsn else "throwaway PostgreSQL 15 (fsync off)"
            result["targets"] += result["load"].pop("targets")
        except Exception as exc:  # noqa: BLE001 - record and go on with the other sections
            failures.append(f"load: {type(exc).__name__}: {exc}")
            log(f"load FAILED: {exc}")
        finally:
            if server:
                server.stop()
    if "stack" in sections:
        from bench import stack

        try:
            result["stack"] = stack.run(args.runtime, quick=args.quick, log=log)
            result["targets"] += result["stack"].pop("targets")
        except Exception as exc:  # noqa: BLE001
            failures.append(f"stack: {type(exc).__name__}: {exc}")
            log(f"stack FAILED: {exc}")
    others = [int(m) for m in args.lines.split(",") if m.strip() and int(m) != airflow_line.MAJOR]
    if others and "stack" in result:
        compare_lines(result, others, args, failures)
    if "suite" in sections:
        from bench import suite

        result["suite"] = suite.run(args.runtime, log)
        result["targets"] += result["suite"].pop("targets")

    result["duration_s"] = round(time.time() - started, 1)
    result["errors"] = failures
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{time.strftime('%Y%m%dT%H%M%S', time.localtime(started))}-{args.runtime}-{result['mode']}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, default=str) + "\n")
    tmp.rename(path)
    print()
    print(report.render(result))
    print(f"\nresults: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    shutil.rmtree(_HOME, ignore_errors=True)
    # Missed targets never fail the run (CI runs QUICK=1 only as a smoke test); errors do.
    return 1 if failures else 0


def compare_lines(result: dict, others: list[int], args: argparse.Namespace, failures: list[str]) -> None:
    """Run the stack section on each other Airflow line and add it next to this one's."""
    from bench import lines

    result["lines"] = {result["machine"]["airflow"]: {"airflow": result["machine"]["airflow"],
                                                      "stack": result["stack"]}}
    for major in others:
        try:
            other = lines.run_stack_section(major, args.runtime, args.quick, log)
        except Exception as exc:  # noqa: BLE001 - record and go on
            failures.append(f"line {major}: {type(exc).__name__}: {exc}")
            log(f"line {major} FAILED: {exc}")
            continue
        result["lines"][other["airflow"]] = {"airflow": other["airflow"], "stack": other["stack"]}
        result["targets"] += [{**t, "name": f"Airflow {other['airflow']}: {t['name']}"} for t in other["targets"]]
    result["line_comparison"] = lines.compare(result["lines"])


if __name__ == "__main__":
    sys.exit(main())
