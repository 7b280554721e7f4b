"""`python -m airkit.upgrade [--dags DIR] [--env-file FILE] [--lint PATH ...] [--out DIR] [--live ...]`:
the upgrade check on a DAG folder; writes upgrade-report.md and .json to --out and exits 1 when
any file differs between the lines, ruff flags another path, a named table differs, or the env
file has an option to change (a changed default it already sets is only noted)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

from airkit.stack import project
from airkit.upgrade import live, report, static


def dates(text: str) -> list[str]:
    """"2024-01-01..2024-01-03" (inclusive) or "2024-01-01,2024-01-05"."""
    if ".." in text:
        first, last = (dt.date.fromisoformat(part) for part in text.split(".."))
        if last < first:
            raise argparse.ArgumentTypeError(f"{text}: the range ends before it starts")
        return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    return [dt.date.fromisoformat(part).isoformat() for part in text.split(",")]


def _words(text: str) -> list[str]:
    return [word for word in text.replace(",", " ").split() if word]


def _tables(text: str) -> list[str]:
    try:
        return [live.check_table(entry) for entry in _words(text)]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m airkit.upgrade", description=__doc__.split("\n")[1])
    p.add_argument("--dags", type=Path, help="DAG folder [the checkout's dags/ or AIRKIT_DAGS_DIR]")
    p.add_argument("--env-file", type=Path, help="env file for `airflow config lint` [none]")
    p.add_argument("--lint", type=Path, nargs="*", default=[], help="more paths for ruff (e.g. your package)")
    p.add_argument("--out", type=Path, default=Path(".state/upgrade-check"), help="report folder")
    p.add_argument("--live", action="store_true", help="also run the DAGs on a stack of each line, in turn")
    p.add_argument("--dates", type=dates, default=dates("2024-01-01..2024-01-02"),
                   help="logical dates of the live runs: FIRST..LAST or a comma list [2024-01-01..2024-01-02]")
    p.add_argument("--dag-ids", type=_words, default=None, help="the DAGs to run live [every DAG; consumers via producers]")
    p.add_argument("--tables", type=_tables, default=[],
                   help="warehouse tables to checksum after each date: TABLE or TABLE:DATE_COLUMN (that date's rows)")
    p.add_argument("--line-default", type=_words, default=[], metavar="KEYS",
                   help="env file options left to each line's own default on the live stacks "
                        "(as a deployment that never set them)")
    p.add_argument("--runtime", choices=("local", "compose"), default=os.environ.get("RUNTIME") or "local")
    p.add_argument("--stacks", type=Path, default=Path(".state/upgrade-check/stacks"),
                   help="where the live stacks live meanwhile (as root, not in a private temp folder: "
                        "PostgreSQL runs as its own user) [.state/upgrade-check/stacks]")
    p.add_argument("--run-timeout", type=float, default=600, help="seconds a date's runs may take [600]")
    return p


def run_live(args, dags: Path, parses: dict[str, dict]) -> dict[str, dict]:
    """Each line's live results, older line first, one stack at a time."""
    results = {}
    for major in static.LINES:
        loaded = [d for f in parses[str(major)]["files"].values() for d in f["dags"]]
        job = live.spec(dags, args.dates, loaded, dag_ids=args.dag_ids, tables=args.tables, line_defaults=args.line_default,
                        runtime=args.runtime, state=(args.stacks / f"airflow{major}").resolve(),
                        run_timeout=args.run_timeout)
        result = live.run_on(major, job, (args.out / f"live-airflow{major}.json").resolve())
        results[result["airflow"]] = result
    return results


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    dags = (args.dags or project.dags_dir()).resolve()
    if not dags.is_dir():
        p.error(f"no DAG folder at {dags}")
    started = time.monotonic()
    found = static.check(dags, args.env_file, args.lint)
    parsed = {d for line in found["parse"].values() for f in line["files"].values() for d in f["dags"]}
    if args.live and set(args.dag_ids or ()) - parsed:
        p.error(f"--dag-ids: no DAG {', '.join(sorted(set(args.dag_ids) - parsed))} in {dags} on either line")
    args.out.mkdir(parents=True, exist_ok=True)
    result = report.build(found, run_live(args, dags, found["parse"]) if args.live else None)
    (args.out / "upgrade-report.md").write_text(report.markdown(result))
    (args.out / "upgrade-report.json").write_text(json.dumps(result, indent=1))
    print(report.summary(result))
    print(f"{len(result['config_lint'])} env-file findings, {len(result['tables'])} table differences; "
          f"{time.monotonic() - started:.0f} s; report: {args.out / 'upgrade-report.md'}")
    return 1 if report.needs_work(result) else 0


if __name__ == "__main__":
    sys.exit(main())
