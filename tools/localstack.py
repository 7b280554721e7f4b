#!/usr/bin/env python3
"""Local-process runtime: PostgreSQL, Redis, Airflow and the events source under supervisord.

Reads the same env file as the Compose runtime, derives the connection URIs from it, keeps all
state (PGDATA, logs, landing files) in one directory, and waits with progress until the stack
is healthy. Run it with the project venv's Python (`make up RUNTIME=local` does).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import envfile  # noqa: E402  (sibling module, stdlib only)

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# The second interpreter of the dependency-isolation lesson, built next to the venv by `make install`.
ISOLATED_VENV = VENV_BIN.parent.with_name(VENV_BIN.parent.name + "-isolated")
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPERVISOR_CONF = REPO / "local" / "supervisord.conf"
AIRFLOW_PROGRAMS = ("airflow-webserver", "airflow-scheduler", "airflow-worker", "airflow-triggerer")
# Local alert receivers (airkit.sinks): dev/test only, started with the airflow group.
SINK_PROGRAMS = ("mailsink", "sentrysink")
SERVICES = ("postgres", "redis", "events-api", *SINK_PROGRAMS, *AIRFLOW_PROGRAMS)
# Members of the airflow group that need no metadata database: started as early as the data.
INDEPENDENT_SERVICES = ("events-api", *SINK_PROGRAMS)
# Need the migrated schema but never touch FAB's users, roles or permissions: they start while
# the admin user is created, on the core that single-threaded CLI leaves idle.
SCHEMA_ONLY_SERVICES = ("airflow-worker", "airflow-triggerer")


def migration_stamp(revision: str | None) -> str:
    """What `migrate` records after migrating: a later start may skip the CLI only when the
    installed Airflow and the database's revision both still match it."""
    from importlib.metadata import version

    return f"airflow {version('apache-airflow')} revision {revision}"


class StackError(RuntimeError):
    """A failure with a message meant for the person who ran `make up`."""


def admin_create_args(values: dict[str, str]) -> list[str]:
    """`airflow users create` for the .env admin. Every value as --option=value: a separate
    argument that starts with "-" (a password may) would be parsed as an option."""
    user = values["_AIRFLOW_WWW_USER_USERNAME"]
    return ["users", "create", "--role=Admin", f"--username={user}",
            f"--password={values['_AIRFLOW_WWW_USER_PASSWORD']}", f"--email={user}@localhost",
            "--firstname=Platform", "--lastname=Admin"]


def _loopback(bind_address: str) -> str:
    return "127.0.0.1" if bind_address in ("0.0.0.0", "::", "") else bind_address


def stack_env(values: dict[str, str], state_dir: Path) -> dict[str, str]:
    """The env file's values plus everything derived from them for the local processes."""
    host = _loopback(values["BIND_ADDRESS"])
    pg = f"{values['POSTGRES_USER']}:{values['POSTGRES_PASSWORD']}@{host}:{values['POSTGRES_PORT']}"
    derived = {
        "REPO_DIR": str(REPO),
        "STATE_DIR": str(state_dir),
        "VENV_BIN": str(VENV_BIN),
        "PG_BIN": str(PG_BIN),
        "AIRFLOW_HOME": str(state_dir / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(state_dir / "logs" / "airflow"),
        "AIRFLOW__SCHEDULER__CHILD_PROCESS_LOG_DIRECTORY": str(state_dir / "logs" / "airflow" / "scheduler"),
        "AIRFLOW__LOGGING__DAG_PROCESSOR_MANAGER_LOG_LOCATION": str(
            state_dir / "logs" / "airflow" / "dag_processor_manager" / "dag_processor_manager.log"
        ),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}/{values['POSTGRES_DB']}",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://:{values['REDIS_PASSWORD']}@{host}:{values['REDIS_PORT']}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}/{values['POSTGRES_DB']}",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": values["BIND_ADDRESS"],
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": values["AIRFLOW_SCHEDULER_HEALTH_PORT"],
        "AIRFLOW__WEBSERVER__BASE_URL": f"http://{host}:{values['AIRFLOW_WEBSERVER_PORT']}",
        "AIRFLOW_CONN_WAREHOUSE_DEFAULT": f"postgresql://{pg}/{values['WAREHOUSE_DB']}",
        "AIRFLOW_CONN_EVENTS_API": f"http://{host}:{values['EVENTS_API_PORT']}",
        "AIRKIT_DATA_DIR": str(state_dir / "data"),
        # FileSensor paths are relative to this connection's path: the landing folder.
        "AIRFLOW_CONN_LANDING_FS": json.dumps({"conn_type": "fs", "extra": {"path": str(state_dir / "data")}}),
        "AIRKIT_ISOLATED_PYTHON": str(ISOLATED_VENV / "bin" / "python"),
        "AIRKIT_WHEELHOUSE": str(ISOLATED_VENV / "wheelhouse"),
        "PYTHONUNBUFFERED": "1",
    }
    return {**values, **derived, **alert_env(values, host)}


def alert_env(values: dict[str, str], host: str) -> dict[str, str]:
    """Mail and Sentry settings: the stack's own sinks, unless the env file names real ones."""
    sentry_port = values.get("SENTRY_SINK_PORT") or "8030"
    defaults = {
        "SENTRY_SINK_PORT": sentry_port,
        # No TLS, no login: the sink is local; a real relay is configured in the env file.
        "AIRFLOW__SMTP__SMTP_HOST": host,
        "AIRFLOW__SMTP__SMTP_PORT": values.get("SMTP_PORT") or "1025",
        "AIRFLOW__SMTP__SMTP_STARTTLS": "False",
        "AIRFLOW__SMTP__SMTP_SSL": "False",
        "AIRFLOW__SMTP__SMTP_MAIL_FROM": "airkit@localhost",
        "SENTRY_DSN": f"http://airkit@{host}:{sentry_port}/1",
    }
    return {key: values.get(key) or default for key, default in defaults.items()}


@dataclass
class LocalStack:
    env_file: Path
    state_dir: Path

    def __post_init__(self) -> None:
        self.env_file = Path(self.env_file).resolve()
        self.state_dir = Path(self.state_dir).resolve()
        if not self.env_file.exists():
            raise StackError(f"{self.env_file} does not exist: run `make env` (or `make up`) first.")
        self.values = envfile.parse(self.env_file)
        self.env = {**os.environ, **stack_env(self.values, self.state_dir)}

    # --- helpers -------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return _loopback(self.values["BIND_ADDRESS"])

    @property
    def webserver_url(self) -> str:
        return f"http://{self.host}:{self.values['AIRFLOW_WEBSERVER_PORT']}"

    def log_path(self, service: str) -> Path:
        if service == "airflow-init":
            return self.state_dir / "logs" / "airflow-init.log"
        return self.state_dir / "logs" / f"{service}.log"

    def tail(self, service: str, lines: int = 40) -> str:
        path = self.log_path(service)
        if not path.exists():
            return f"(no log at {path})"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _supervisorctl_argv(self, *args: str) -> list[str]:
        return [str(VENV_BIN / "supervisorctl"), "-c", str(SUPERVISOR_CONF), *args]

    def supervisorctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(self._supervisorctl_argv(*args), env=self.env, capture_output=True, text=True)
        if check and result.returncode not in (0,):
            raise StackError(f"supervisorctl {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def _start_in_background(self, *programs: str) -> subprocess.Popen:
        # Already-started programs answer "already started"; the health wait judges the outcome.
        return subprocess.Popen(self._supervisorctl_argv("start", *programs), env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def supervisor_running(self) -> bool:
        sock = self.state_dir / "run" / "supervisor.sock"
        return sock.exists() and self.supervisorctl("pid", check=False).returncode == 0

    def airflow(self, *args: str, log: Path | None = None, check: bool = True,
                timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run the Airflow CLI against this stack."""
        result = subprocess.run(
            [str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )
        if log is not None:
            with log.open("a") as handle:
                handle.write(f"$ airflow {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if check and result.returncode != 0:
            raise StackError(f"`airflow {' '.join(args)}` failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
        return result

    # --- preparation ---------------------------------------------------------------------
    def check_binaries(self) -> None:
        missing = []
        for binary in ("postgres", "initdb", "pg_ctl"):
            if not (PG_BIN / binary).exists():
                missing.append(f"{PG_BIN / binary} (Debian package postgresql-15)")
        if shutil.which("redis-server") is None:
            missing.append("redis-server (Debian package redis-server)")
        if os.geteuid() == 0 and shutil.which("setpriv") is None:
            missing.append("setpriv (Debian package util-linux)")
        if missing:
            raise StackError(
                "Missing system binaries for the local runtime:\n  - " + "\n  - ".join(missing)
                + "\nInstall them with `sudo make deps` (apt), or use RUNTIME=compose."
            )

    def prepare_state(self) -> None:
        for sub in ("run", "logs/airflow", "data", "airflow", "redis"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        self._init_postgres()
        self._write_redis_conf()

    def _pg_owner(self) -> str | None:
        """The unprivileged user PostgreSQL runs as when we are root."""
        return os.environ.get("PG_RUN_USER", "postgres") if os.geteuid() == 0 else None

    def _init_postgres(self) -> None:
        pgdata = self.state_dir / "pgdata"
        if (pgdata / "PG_VERSION").exists():
            return
        pgdata.mkdir(mode=0o700, exist_ok=True)
        owner = self._pg_owner()
        with tempfile.NamedTemporaryFile("w", dir=self.state_dir / "run", delete=False) as pwfile:
            pwfile.write(self.values["POSTGRES_PASSWORD"] + "\n")
        try:
            cmd = [str(PG_BIN / "initdb"), "-D", str(pgdata), "-U", self.values["POSTGRES_USER"],
                   f"--pwfile={pwfile.name}", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                   "-E", "UTF8", "--locale=C.UTF-8"]
            if owner:
                shutil.chown(pgdata, owner)
                shutil.chown(pwfile.name, owner)
                cmd = ["setpriv", f"--reuid={owner}", f"--regid={owner}", "--init-groups", *cmd]
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")
        finally:
            os.unlink(pwfile.name)
        # Reachable on whatever BIND_ADDRESS says; every connection still needs the password.
        with (pgdata / "pg_hba.conf").open("a") as hba:
            hba.write("host all all all scram-sha-256\n")

    def _write_redis_conf(self) -> None:
        conf = self.state_dir / "run" / "redis.conf"
        # A config file, not argv, so the password never shows in `ps`.
        text = "\n".join([
            f"bind {self.values['BIND_ADDRESS']}",
            f"port {self.values['REDIS_PORT']}",
            f"requirepass {self.values['REDIS_PASSWORD']}",
            f"dir {self.state_dir / 'redis'}",
            # Queued Celery messages survive a Redis restart.
            "appendonly yes",
            "daemonize no",
            "",
        ])
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)

    def _pg_connect(self, dbname: str):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.values["POSTGRES_PORT"], user=self.values["POSTGRES_USER"],
            password=self.values["POSTGRES_PASSWORD"], dbname=dbname, connect_timeout=3,
        )

    def ensure_databases(self, timeout: float = 60) -> None:
        import psycopg2
        from psycopg2 import sql

        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = self._pg_connect("postgres")
                break
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise StackError(f"PostgreSQL did not accept connections: {exc}\n{self.tail('postgres')}")
                time.sleep(0.5)
        # CREATE DATABASE refuses transactions, and `with conn` would open one.
        conn.autocommit = True
        with conn.cursor() as cur:
            for db in (self.values["POSTGRES_DB"], self.values["WAREHOUSE_DB"]):
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        conn.close()

    def _schema_revision(self) -> str | None:
        """The metadata database's Alembic revision; None before the first migration."""
        with self._pg_connect(self.values["POSTGRES_DB"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
            row = None
            if cur.fetchone()[0]:
                cur.execute("SELECT version_num FROM alembic_version")
                row = cur.fetchone()
        conn.close()
        return row[0] if row else None

    def migrate(self) -> None:
        """`airflow db migrate`, skipped when this Airflow version already migrated this database
        (the CLI costs several CPU-seconds of a warm start even when there is nothing to do)."""
        marker = self.state_dir / "airflow" / "migrated"
        done = marker.read_text().strip() if marker.exists() else None
        revision = self._schema_revision()
        if revision and done == migration_stamp(revision):
            return
        self.airflow("db", "migrate", log=self.log_path("airflow-init"))
        marker.write_text(migration_stamp(self._schema_revision()) + "\n")

    def create_admin(self) -> None:
        user = self.values["_AIRFLOW_WWW_USER_USERNAME"]
        with self._pg_connect(self.values["POSTGRES_DB"]) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM ab_user WHERE username = %s", (user,))
            exists = cur.fetchone() is not None
        conn.close()
        if not exists:
            self.airflow(*admin_create_args(self.values), log=self.log_path("airflow-init"))

    # --- lifecycle -----------------------------------------------------------------------
    def up(self, timeout: float) -> None:
        started = time.monotonic()
        self.check_binaries()
        self.prepare_state()
        if not self.supervisor_running():
            result = subprocess.run([str(VENV_BIN / "supervisord"), "-c", str(SUPERVISOR_CONF)],
                                    env=self.env, capture_output=True, text=True)
            if result.returncode != 0:
                raise StackError(f"supervisord did not start:\n{result.stdout}{result.stderr}")
            self._poll(self.supervisor_running, 20, "supervisord socket")
        _say("starting postgres, redis, the events source and the alert sinks")
        # `supervisorctl start` blocks for each named program's startsecs, one after another
        # (~10 s here). Readiness is polled below instead (Postgres by ensure_databases, the rest
        # by the health wait), so the starts run in the background and are reaped at the end.
        # The events source and the sinks do not need Airflow's schema: they start with the data.
        starting = [self._start_in_background("data:*", *(f"airflow:{s}" for s in INDEPENDENT_SERVICES))]
        try:
            self.ensure_databases()
            _say(f"[{time.monotonic() - started:5.0f}s] migrating the metadata database")
            self.migrate()
            _say(f"[{time.monotonic() - started:5.0f}s] starting airflow worker and triggerer, creating the admin user")
            # On the core the single-threaded CLI below leaves idle.
            starting.append(self._start_in_background(*(f"airflow:{s}" for s in SCHEMA_ONLY_SERVICES)))
            # Before the webserver and the scheduler: FAB's first role/permission sync (here) and
            # theirs (the DAG processor syncs DAG permissions) would otherwise race on the same rows.
            self.create_admin()
            _say(f"[{time.monotonic() - started:5.0f}s] starting airflow webserver and scheduler")
            self.supervisorctl("start", "airflow:*", check=False)
        finally:
            for proc in starting:
                proc.wait()
        self.wait(timeout - (time.monotonic() - started))
        _say(f"healthy after {time.monotonic() - started:.0f}s")

    def down(self) -> None:
        if not self.supervisor_running():
            _say("local stack is not running")
            return
        pid = self.supervisorctl("pid").stdout.strip()
        # Airflow first, so nothing logs connection errors against databases already gone.
        self.supervisorctl("stop", "airflow:*", check=False)
        self.supervisorctl("shutdown", check=False)
        self._poll(lambda: not Path(f"/proc/{pid}").exists(), 120, "supervisord to stop")
        _say("local stack stopped")

    def reset(self) -> None:
        self.down()
        if self.state_dir.exists():
            shutil.rmtree(self.state_dir)
        _say(f"removed {self.state_dir}")

    # --- health --------------------------------------------------------------------------
    def health(self) -> dict[str, str]:
        """Component -> 'healthy' or the reason it is not."""
        import requests

        report: dict[str, str] = {}
        try:
            body = requests.get(f"{self.webserver_url}/health", timeout=3).json()
            report["webserver"] = "healthy"
            report["metadatabase"] = body["metadatabase"]["status"]
            report["scheduler"] = body["scheduler"]["status"]
            report["triggerer"] = body.get("triggerer", {}).get("status") or "unknown"
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            report["webserver"] = f"not answering ({type(exc).__name__})"
        report["scheduler-health-server"] = self._http_health(self.values["AIRFLOW_SCHEDULER_HEALTH_PORT"])
        report["worker"] = self.worker_health()
        report["events-api"] = self._http_health(self.values["EVENTS_API_PORT"])
        report["mailsink"] = self._http_health(self.env["SMTP_WEB_PORT"])
        report["sentrysink"] = self._http_health(self.env["SENTRY_SINK_PORT"])
        return report

    def _http_health(self, port: str) -> str:
        import requests

        try:
            status = requests.get(f"http://{self.host}:{port}/health", timeout=3).status_code
        except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
            return f"not answering ({type(exc).__name__})"
        return "healthy" if status == 200 else f"HTTP {status}"

    def worker_health(self) -> str:
        """Healthy only if a worker is subscribed to the default queue, not merely answering ping
        (a worker that lost its consumer still pings: apache/airflow#63580)."""
        # Celery's control API in this process, not the `celery inspect` CLI: the CLI imports all
        # of Airflow on every poll, CPU that start-up itself is short of on a small machine.
        from celery import Celery

        queue = self.env.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE", "default")
        app = Celery(broker=self.env["AIRFLOW__CELERY__BROKER_URL"], set_as_current=False)
        app.conf.broker_transport_options = {"max_retries": 0}  # a poll: fail fast, ask again later
        try:
            replies = app.control.inspect(timeout=1).active_queues() or {}
        except Exception as exc:  # noqa: BLE001 - broker down or refusing us: "not yet"
            return f"broker not answering ({type(exc).__name__})"
        finally:
            app.close()
        if not replies:
            return "no worker answered"
        for queues in replies.values():
            if any(q.get("name") == queue for q in queues):
                return "healthy"
        return f"answering but not consuming queue {queue!r}"

    def wait(self, timeout: float) -> None:
        deadline = time.monotonic() + max(timeout, 1)
        started = time.monotonic()
        last = None
        while True:
            report = self.health()
            pending = {k: v for k, v in report.items() if v != "healthy"}
            if not pending:
                return
            line = ", ".join(f"{k}: {v}" for k, v in pending.items())
            if line != last:
                _say(f"[{time.monotonic() - started:5.0f}s] waiting for {line}")
                last = line
            if time.monotonic() > deadline:
                culprits = _culprit_services(pending)
                logs = "\n".join(f"--- last lines of {s} ({self.log_path(s)}) ---\n{self.tail(s)}" for s in culprits)
                raise StackError(f"stack not healthy after {timeout:.0f}s: {line}\n{logs}\n"
                                 + self.supervisorctl("status", check=False).stdout)
            time.sleep(1)

    def status(self) -> int:
        if not self.supervisor_running():
            print("local stack: not running")
            return 3
        print(self.supervisorctl("status", check=False).stdout.rstrip())
        unhealthy = 0
        for component, state in self.health().items():
            print(f"  {component:<24} {state}")
            unhealthy += state != "healthy"
        return 1 if unhealthy else 0

    @staticmethod
    def _poll(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise StackError(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(0.2)


def _culprit_services(pending: dict[str, str]) -> list[str]:
    mapping = {
        "webserver": "airflow-webserver", "metadatabase": "postgres", "scheduler": "airflow-scheduler",
        "scheduler-health-server": "airflow-scheduler", "triggerer": "airflow-triggerer",
        "worker": "airflow-worker", "events-api": "events-api",
        "mailsink": "mailsink", "sentrysink": "sentrysink",
    }
    return sorted({mapping[k] for k in pending if k in mapping})


def _say(message: str) -> None:
    print(f"local: {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env-file", type=Path, default=Path(os.environ.get("ENV_FILE", REPO / ".env")))
    parser.add_argument("--state-dir", type=Path,
                        default=Path(os.environ.get("STATE_DIR", REPO / ".state" / "local")))
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up")
    up.add_argument("--timeout", type=float, default=float(os.environ.get("UP_TIMEOUT") or 300))
    sub.add_parser("down")
    sub.add_parser("status")
    sub.add_parser("reset")
    wait = sub.add_parser("wait")
    wait.add_argument("--timeout", type=float, default=180)
    logs = sub.add_parser("logs")
    logs.add_argument("service", choices=[*SERVICES, "airflow-init", "supervisord"])
    logs.add_argument("--lines", type=int, default=200)
    logs.add_argument("--follow", action="store_true")
    cli = sub.add_parser("airflow", help="run the Airflow CLI against the local stack")
    cli.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)

    try:
        stack = LocalStack(args.env_file, args.state_dir)
        if args.command == "up":
            stack.up(args.timeout)
        elif args.command == "down":
            stack.down()
        elif args.command == "reset":
            stack.reset()
        elif args.command == "wait":
            stack.wait(args.timeout)
        elif args.command == "status":
            return stack.status()
        elif args.command == "logs":
            if args.follow:
                os.execvp("tail", ["tail", "-n", str(args.lines), "-F", str(stack.log_path(args.service))])
            print(stack.tail(args.service, args.lines))
        elif args.command == "airflow":
            os.execve(str(VENV_BIN / "airflow"), ["airflow", *args.args], stack.env)
    except StackError as exc:
        print(f"local: ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
