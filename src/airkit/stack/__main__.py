"""`python -m airkit.stack`: what `make up/down/status/logs/reset/airflow/scale` run.

Reads RUNTIME, ENV_FILE, STATE_DIR (local), COMPOSE_PROJECT / COMPOSE_OVERLAYS / PROFILES
(compose) and AIRKIT_DAGS_DIR from the environment, as the Makefile exports them.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from airkit.stack import RUNTIMES, StackError, open_stack, services


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m airkit.stack", description=__doc__)
    parser.add_argument("--runtime", choices=RUNTIMES, default=os.environ.get("RUNTIME") or "local")
    parser.add_argument("--env-file", type=Path, default=Path(os.environ.get("ENV_FILE") or ".env"))
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start and wait until every service is healthy")
    up.add_argument("--timeout", type=float, default=float(os.environ.get("UP_TIMEOUT") or 600))
    sub.add_parser("down", help="stop (state is kept)")
    sub.add_parser("reset", help="stop and delete state: databases, logs, landing files")
    sub.add_parser("status", help="each service's state and health (exit 1 if any is unhealthy)")
    wait = sub.add_parser("wait", help="wait until every service is healthy")
    wait.add_argument("--timeout", type=float, default=300)
    logs = sub.add_parser("logs", help="a service's log")
    logs.add_argument("service", choices=[*services.BY_NAME, "airflow-init", "supervisord"])
    logs.add_argument("--lines", type=int, default=200)
    logs.add_argument("--follow", action="store_true")
    backfill = sub.add_parser("backfill", help="run a DAG for every day of a range and wait (both lines)")
    backfill.add_argument("dag_id")
    backfill.add_argument("start", help="YYYY-MM-DD")
    backfill.add_argument("end", help="YYYY-MM-DD")
    backfill.add_argument("--rerun", action="store_true", help="run days that already ran again")
    cli = sub.add_parser("airflow", help="the Airflow CLI in the stack")
    cli.add_argument("args", nargs=argparse.REMAINDER)
    scale = sub.add_parser("scale", help="run N Celery workers (compose)")
    scale.add_argument("workers", type=int)
    return parser


def _logs(stack, args) -> int:
    if stack.runtime == "compose":
        follow = ["--follow"] if args.follow else []
        os.execve(str(stack.dc), [str(stack.dc), "logs", "--tail", str(args.lines), *follow, args.service],
                  stack.dc_env())
    path = stack.log_path(args.service)
    if args.follow:
        os.execvp("tail", ["tail", "-n", str(args.lines), "-F", str(path)])
    print(stack.logs(args.service, args.lines))
    return 0


def _airflow(stack, args) -> int:
    if stack.runtime == "compose":
        tty = [] if sys.stdin.isatty() else ["-T"]
        # Through the image's entrypoint, which `exec` skips: it gives Airflow its line's option names.
        os.execve(str(stack.dc), [str(stack.dc), "exec", *tty, "airflow-scheduler", "entrypoint", "airflow", *args.args],
                  stack.dc_env())
    from airkit.stack.processes import VENV_BIN

    os.execve(str(VENV_BIN / "airflow"), ["airflow", *args.args], stack.env)


def _backfill(stack, args) -> int:
    result = stack.backfill(args.dag_id, args.start, args.end, rerun=args.rerun)
    print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
    print(f"backfill of {args.dag_id} {args.start}..{args.end}: " + ("every run succeeded" if result.returncode == 0
                                                                   else "FAILED (see above)"))
    return result.returncode


def _scale(stack, args) -> int:
    if stack.runtime != "compose":
        print("make scale: the local runtime runs one Celery worker under supervisord; "
              "use RUNTIME=compose to scale", file=sys.stderr)
        return 2
    stack.scale_workers(args.workers)
    return 0


COMMANDS = {
    "up": lambda stack, args: stack.start(args.timeout),
    "down": lambda stack, args: stack.stop(),
    "reset": lambda stack, args: stack.stop(remove_state=True),
    "status": lambda stack, args: stack.status(),
    "wait": lambda stack, args: stack.wait_healthy(args.timeout),
    "logs": _logs,
    "airflow": _airflow,
    "backfill": _backfill,
    "scale": _scale,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        stack = open_stack(args.runtime, args.env_file)
        return COMMANDS[args.command](stack, args) or 0
    except StackError as exc:
        print(f"{args.runtime}: ERROR: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
