"""`python -m airkit.upgrade [--dags DIR] [--env-file FILE] [--lint PATH ...] [--out DIR]`:
the upgrade check's static half on a DAG folder; writes upgrade-report.md and .json to --out and
exits 1 when any file differs between the lines, ruff flags another path, or the env file has
an option to change (a changed default it already sets is only noted)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from airkit.stack import project
from airkit.upgrade import report, static


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airkit.upgrade", description=__doc__.split("\n")[1])
    parser.add_argument("--dags", type=Path, help="DAG folder [the checkout's dags/ or AIRKIT_DAGS_DIR]")
    parser.add_argument("--env-file", type=Path, help="env file for `airflow config lint` [none]")
    parser.add_argument("--lint", type=Path, nargs="*", default=[], help="more paths for ruff (e.g. your package)")
    parser.add_argument("--out", type=Path, default=Path(".state/upgrade-check"), help="report folder")
    args = parser.parse_args(argv)
    dags = (args.dags or project.dags_dir()).resolve()
    if not dags.is_dir():
        parser.error(f"no DAG folder at {dags}")
    result = report.build(static.check(dags, args.env_file, args.lint))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "upgrade-report.md").write_text(report.markdown(result))
    (args.out / "upgrade-report.json").write_text(json.dumps(result, indent=1))
    print(report.summary(result))
    print(f"{len(result['config_lint'])} env-file findings; report: {args.out / 'upgrade-report.md'}")
    return 1 if report.needs_work(result) else 0


if __name__ == "__main__":
    sys.exit(main())
