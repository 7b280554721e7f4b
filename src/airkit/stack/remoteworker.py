"""A Celery worker on another machine: the env file it needs, and how it starts.

`python -m airkit.stack.remoteworker env --main-host 10.0.0.1 --out worker.env` (what `make
remote-worker-env` runs) writes the few settings a worker host needs from the main env file,
mode 0600: where the main host's Postgres, Redis and execution API are, the secrets a worker
must share with it, and its queues. Nothing else crosses: no admin password, no warehouse
credentials (on Airflow 3 a task asks the execution API for its connections).

`python -m airkit.stack.remoteworker serve` (compose/remote-worker.yaml's command) waits until
the main host has migrated the metadata DB, then becomes `airflow celery worker -q <queues>`.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from airkit.stack import envfile, line
from airkit.stack.settings import derived_env

#: Derived settings whose host part becomes the main host's address.
REACHED_KEYS = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",  # Celery's result backend and `db check-migrations`
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",  # Airflow 3: task state, XComs, connections
)

#: Copied from the main env file as they are. Secrets first: a worker with another Fernet key
#: cannot decrypt connections, and the api-server signs its log requests with [api] secret_key:
#: a worker with another one answers 403. The rest must match the main host's scheduler:
#: acks_late and the Celery config decide what happens to a task whose worker dies.
COPIED_KEYS = (
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW_LINE",
    "AIRFLOW__CORE__EXECUTOR",
    "AIRFLOW__CELERY__TASK_ACKS_LATE",
    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS",
    "AIRFLOW__CELERY__WORKER_AUTOSCALE",
    "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT",
    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",
)

#: The api-server fetches a running or finished task's log from http://<ti.hostname>:8793, and
#: ti.hostname is what this callable returns on the worker (airkit.net.advertised_host).
HOSTNAME_CALLABLE = "airkit.net.advertised_host"


def main_host_endpoints(values: Mapping[str, str], main_host: str) -> dict[str, str]:
    """Where the worker host reaches each main-host service: its published port on `main_host`."""
    published = {"postgres": "POSTGRES_PORT", "redis": "REDIS_PORT", "airflow-apiserver": "AIRFLOW_API_PORT"}
    return {service: f"{main_host}:{values[key]}" for service, key in published.items()}


def worker_env(values: Mapping[str, str], *, main_host: str, queues: str,
               advertise_host: str = "") -> dict[str, str]:
    """The worker host's env file: every value it needs from the main env file `values`."""
    derived = derived_env(dict(values), "local", elsewhere=main_host_endpoints(values, main_host))
    env = {key: derived[key] for key in REACHED_KEYS}
    env.update({key: values[key] for key in COPIED_KEYS if key in values})
    env.update({
        "AIRKIT_WORKER_QUEUES": queues,
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": HOSTNAME_CALLABLE,
        "AIRKIT_WORKER_ADVERTISE_HOST": advertise_host,
    })
    return env


def write_env(path: Path, env: Mapping[str, str]) -> None:
    """`env` as KEY=VALUE lines, readable by its owner only (it holds the broker and DB passwords)."""
    path.unlink(missing_ok=True)  # O_CREAT keeps an old file's mode; a fresh one gets 0600
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(f"{key}={value}\n" for key, value in env.items()))


def serve_argv(env: Mapping[str, str]) -> list[str]:
    queues = env.get("AIRKIT_WORKER_QUEUES") or "default"
    return ["airflow", "celery", "worker", "--queues", queues]


def serve(env: Mapping[str, str], *, migration_timeout: int) -> int:
    """Wait for the main host's migrations, then exec the worker (its pid: signals reach it)."""
    import subprocess

    airflow_env = line.airflow_env(dict(env))
    # Started before the main host's `db migrate` finished, a worker exits with "You need to
    # initialize the database"; the official chart waits the same way (an init container).
    waited = subprocess.run(["airflow", "db", "check-migrations", "--migration-wait-timeout",
                             str(migration_timeout)], check=False, env=airflow_env)
    if waited.returncode != 0:
        return waited.returncode
    argv = serve_argv(env)
    os.execvpe(argv[0], argv, airflow_env)
    return 1  # not reached


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m airkit.stack.remoteworker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    env = sub.add_parser("env", help="write the worker host's env file from the main env file")
    env.add_argument("--env-file", type=Path, default=Path(".env"))
    env.add_argument("--main-host", required=True, help="address the worker host reaches the main host at")
    env.add_argument("--queues", default="remote", help="comma-separated Celery queues")
    env.add_argument("--advertise-host", default="",
                     help="name or address the main host reaches this worker at (default: its FQDN)")
    env.add_argument("--out", type=Path, default=Path("worker.env"))
    serve_cmd = sub.add_parser("serve", help="wait for migrations, then run the Celery worker")
    serve_cmd.add_argument("--migration-timeout", type=int, default=600)
    return parser


#: Without these a worker runs nothing the main host can use: refused, nothing written.
REQUIRED_KEYS = ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY")


def refusal(values: Mapping[str, str]) -> str | None:
    """Why `values` cannot make a worker env file, or None."""
    if unfilled := envfile.unfilled(dict(values)):
        return f"{', '.join(unfilled)} still {envfile.PLACEHOLDER} (use the env file `make env` made)"
    missing = [key for key in REQUIRED_KEYS if not values.get(key)]
    return f"lacks {', '.join(missing)}" if missing else None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(os.environ, migration_timeout=args.migration_timeout)
    values = envfile.parse(args.env_file)
    if reason := refusal(values):
        print(f"{args.env_file}: {reason}; nothing written", file=sys.stderr)
        return 1
    env = worker_env(values, main_host=args.main_host, queues=args.queues, advertise_host=args.advertise_host)
    write_env(args.out, env)
    print(f"Wrote {args.out} (mode 600): {len(env)} settings for a worker on queues {args.queues}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
