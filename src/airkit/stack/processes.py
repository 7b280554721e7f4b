"""The local-process runtime: every service of the table as a process under supervisord.

Reads the same env file as the compose runtime, takes the derived settings from
`airkit.stack.settings`, keeps all state (PGDATA, logs, landing files) in one directory, and
starts services phase by phase, waiting with progress until the stack is healthy. Runs with
the project venv's interpreter (its `airflow`, `supervisord` and console scripts).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from airkit.stack import bootstrap, line, probes, project, services, supervisor, sysdeps
from airkit.stack.base import Stack, data_relpath
from airkit.stack.errors import StackError
from airkit.stack.services import Service
from airkit.stack.settings import derived_env, landing_connection

VENV_BIN = Path(sys.executable).parent
# The second interpreter of the dependency-isolation lesson, built next to the venv by `make install`.
ISOLATED_VENV = VENV_BIN.parent.with_name(VENV_BIN.parent.name + "-isolated")
WHEELHOUSE = ISOLATED_VENV / "wheelhouse"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVICES = services.for_runtime("local")


# Linux's sockaddr_un holds a path of at most 107 bytes, and supervisord first binds the path
# plus ".<pid>" (up to 8 more), then renames it.
_SOCKET_PATH_MAX = 107 - 8


def control_socket(state_dir: Path) -> Path:
    """supervisord's socket: in the state dir, unless that is too deep for a socket path (a DAG
    repo's `.state` in a long checkout path); then a short temp path named after the state dir."""
    sock = state_dir / "run" / "supervisor.sock"
    if len(os.fsencode(sock)) <= _SOCKET_PATH_MAX:
        return sock
    digest = hashlib.sha256(os.fsencode(state_dir)).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"airkit-supervisor-{digest}.sock"


def _say(message: str) -> None:
    print(f"local: {message}", flush=True)


class ProcessStack(Stack):
    runtime = "local"

    def __init__(self, env_file: Path, state_dir: Path, dags_dir: Path | None = None):
        super().__init__(env_file)
        self.state_dir = Path(state_dir).resolve()
        self._dags = Path(dags_dir).resolve() if dags_dir else project.dags_dir()
        self.data_dir = self.state_dir / "data"
        self.conf = self.state_dir / "run" / "supervisord.conf"
        self.env = {**os.environ, **line.airflow_env({**self.values, **self.process_env()})}

    def process_env(self) -> dict[str, str]:
        """What every local process gets besides the env file: derived settings and paths."""
        logs = self.state_dir / "logs" / "airflow"
        return {
            **derived_env(self.values, "local"),
            "AIRFLOW_HOME": str(self.state_dir / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self._dags),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(logs),
            "AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": str(logs / "dag_processor"),
            # Airflow 2 only (3 logs the manager with the dag-processor's own output).
            "AIRFLOW__LOGGING__DAG_PROCESSOR_MANAGER_LOG_LOCATION":
                str(logs / "dag_processor_manager" / "dag_processor_manager.log"),
            # Should an env file turn the scheduler's /health server on, it listens where the
            # rest of the stack does, not on Airflow's 0.0.0.0.
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": self.values["BIND_ADDRESS"],
            "AIRKIT_DATA_DIR": str(self.data_dir),
            "AIRFLOW_CONN_LANDING_FS": landing_connection(str(self.data_dir)),
            "AIRKIT_ISOLATED_PYTHON": str(ISOLATED_VENV / "bin" / "python"),
            "AIRKIT_WHEELHOUSE": str(WHEELHOUSE),
            # PythonVirtualenvOperator's pip installs from that wheelhouse and nothing else (Airflow 3
            # reads `requirements` as PEP 508 pins only, so no pip options can go there).
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(WHEELHOUSE),
            # ... through pip: with uv on PATH (make install puts it in the venv) the standard
            # provider would build with uv, which reads neither PIP_ setting.
            "AIRFLOW__STANDARD__VENV_INSTALL_METHOD": "pip",
            "PYTHONUNBUFFERED": "1",
        }

    @property
    def dags_folder(self) -> Path:
        return self._dags

    def make_env(self) -> dict[str, str]:
        return {**super().make_env(), "STATE_DIR": str(self.state_dir)}

    # --- the processes -----------------------------------------------------------------------
    def argv(self, service: Service) -> list[str]:
        v, bind = self.values, self.values["BIND_ADDRESS"]
        if service.name == "postgres":
            pgdata = self.state_dir / "pgdata"
            # TCP only (`-k ''`): nothing connects through a Unix socket, and one under a deep state
            # dir would exceed the socket path limit.
            return [*self._as_pg_owner(), str(PG_BIN / "postgres"), "-D", str(pgdata), "-k", "",
                    "-p", v["POSTGRES_PORT"], "-c", f"listen_addresses={bind}"]
        if service.name == "redis":
            # The password stays in the config file (never in `ps`); where it listens is argv.
            return ["redis-server", str(self.state_dir / "run" / "redis.conf"), "--bind", bind,
                    "--port", v["REDIS_PORT"]]
        if service.name == "events-api":
            return [str(VENV_BIN / "airkit-events"), "--host", bind, "--port", v["EVENTS_API_PORT"]]
        if service.name == "mailsink":
            return [str(VENV_BIN / "airkit-mailsink"), "--host", bind, "--smtp-port", v["SMTP_PORT"],
                    "--api-port", v["SMTP_WEB_PORT"]]
        if service.name == "sentrysink":
            return [str(VENV_BIN / "airkit-sentrysink"), "--host", bind, "--port", v["SENTRY_SINK_PORT"]]
        if service.name == "airflow-webserver":
            return [str(VENV_BIN / "airflow"), *service.airflow_command, "--hostname", bind,
                    "--port", v["AIRFLOW_API_PORT"]]
        if service.name == "airflow-apiserver":
            return [str(VENV_BIN / "airflow"), *service.airflow_command, "--host", bind, "--port", v["AIRFLOW_API_PORT"]]
        if service.is_airflow:
            return [str(VENV_BIN / "airflow"), *service.airflow_command]
        raise StackError(f"no local command for service {service.name!r}: add one to ProcessStack.argv")

    def _pg_owner(self) -> str | None:
        """The unprivileged user PostgreSQL runs as when we are root (it refuses root)."""
        return os.environ.get("PG_RUN_USER", "postgres") if os.geteuid() == 0 else None

    def _as_pg_owner(self) -> list[str]:
        owner = self._pg_owner()
        # setpriv execs (no fork), so supervisord's signals reach the postmaster directly.
        return ["setpriv", f"--reuid={owner}", f"--regid={owner}", "--init-groups"] if owner else []

    def log_path(self, service: str) -> Path:
        return self.state_dir / "logs" / f"{service}.log"

    def logs(self, service: str, lines: int = 80) -> str:
        path = self.log_path(service)
        if not path.exists():
            return f"(no log at {path})"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def _ctl_argv(self, *args: str) -> list[str]:
        return [str(VENV_BIN / "supervisorctl"), "-c", str(self.conf), *args]

    def supervisorctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(self._ctl_argv(*args), env=self.env, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise StackError(f"supervisorctl {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def _start_in_background(self, *names: str) -> subprocess.Popen:
        # `supervisorctl start` blocks for each program's startsecs in turn (~10 s for all);
        # readiness is polled instead, so starts run in the background and are reaped later.
        return subprocess.Popen(self._ctl_argv("start", *names), env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def supervisor_running(self) -> bool:
        return control_socket(self.state_dir).exists() and self.supervisorctl("pid", check=False).returncode == 0

    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def _airflow_checked(self, args) -> None:
        result = self.airflow(*args)
        with self.log_path("airflow-init").open("a") as log:
            log.write(f"$ airflow {args[0]} ...\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise StackError(f"`airflow {' '.join(args[:2])}` failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")

    # --- preparation ---------------------------------------------------------------------------
    def prepare_state(self) -> None:
        for sub in ("run", "logs/airflow", "data", "airflow", "redis"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        self._init_postgres()
        self._write_redis_conf()
        programs = [(s, self.argv(s)) for s in SERVICES]
        self.conf.write_text(supervisor.render(programs, self.state_dir,
                                                           control_socket(self.state_dir)))

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
            result = subprocess.run([*self._as_pg_owner(), *cmd], capture_output=True, text=True)
            if result.returncode != 0:
                raise StackError(f"initdb failed:\n{result.stdout}{result.stderr}")
        finally:
            os.unlink(pwfile.name)
        # Reachable on whatever BIND_ADDRESS says; every connection still needs the password.
        with (pgdata / "pg_hba.conf").open("a") as hba:
            hba.write("host all all all scram-sha-256\n")

    def _write_redis_conf(self) -> None:
        # A config file, not argv, so the password never shows in `ps`.
        text = "\n".join([
            f"requirepass {self.values['REDIS_PASSWORD']}",
            f"dir {self.state_dir / 'redis'}",
            # Queued Celery messages survive a Redis restart.
            "appendonly yes",
            "daemonize no",
            "",
        ])
        fd = os.open(self.state_dir / "run" / "redis.conf", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)

    def ensure_databases(self, timeout: float = 60) -> None:
        import psycopg2
        from psycopg2 import sql

        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = psycopg2.connect(self.endpoints.postgres_dsn("postgres", connect_timeout=3))
                break
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise StackError(f"PostgreSQL did not accept connections: {exc}\n{self.logs('postgres')}")
                time.sleep(0.5)
        # CREATE DATABASE refuses transactions, and `with conn` would open one.
        conn.autocommit = True
        with conn.cursor() as cur:
            for db in (self.values["POSTGRES_DB"], self.values["WAREHOUSE_DB"]):
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (db,))
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        conn.close()

    # --- lifecycle -------------------------------------------------------------------------------
    def _phase(self, name: str) -> list[str]:
        return [s.name for s in SERVICES if s.phase == name]

    def start(self, timeout: float = 300) -> None:
        started = time.monotonic()

        def elapsed() -> str:
            return f"[{time.monotonic() - started:5.0f}s]"

        try:
            sysdeps.ensure(say=_say)
        except sysdeps.MissingSystemPackages as exc:
            raise StackError(str(exc)) from None
        self.prepare_state()
        if not self.supervisor_running():
            result = subprocess.run([str(VENV_BIN / "supervisord"), "-c", str(self.conf)],
                                    env=self.env, capture_output=True, text=True)
            if result.returncode != 0:
                raise StackError(f"supervisord did not start:\n{result.stdout}{result.stderr}")
            _poll(self.supervisor_running, 20, "supervisord socket")
        _say("starting postgres, redis, the events source and the alert sinks")
        starting = [self._start_in_background(*self._phase("data"), *self._phase("independent"))]
        try:
            self.ensure_databases()
            _say(f"{elapsed()} migrating the metadata database")
            uri = self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
            bootstrap.migrate(uri, self._airflow_checked, self.state_dir / "airflow" / "migrated")
            _say(f"{elapsed()} starting {', '.join(self._phase('schema'))}; converging the admin user")
            # On the core the single-threaded CLI below leaves idle: these never touch FAB tables.
            starting.append(self._start_in_background(*self._phase("schema")))
            # Before the webserver and the scheduler: FAB's first role/permission sync (here) and
            # theirs (the DAG processor syncs DAG permissions) would otherwise race on the same rows.
            bootstrap.ensure_admin(uri, *self.endpoints.admin, self._airflow_checked)
            _say(f"{elapsed()} starting {', '.join(self._phase('admin'))}")
            starting.append(self._start_in_background(*self._phase("admin")))
        finally:
            for proc in starting:
                proc.wait()
        self.wait_healthy(timeout - (time.monotonic() - started), say=_say)
        _say(f"healthy after {time.monotonic() - started:.0f}s")

    def stop(self, remove_state: bool = False) -> None:
        if self.supervisor_running():
            pid = self.supervisorctl("pid").stdout.strip()
            # Airflow first, so nothing logs connection errors against databases already gone.
            airflow = [s.name for s in SERVICES if s.phase not in ("data",)]
            worker = self._pid_of("airflow-worker") if remove_state else None
            # One at a time they add up (the api-server alone takes ~6 s): side by side instead.
            stopping = [subprocess.Popen(self._ctl_argv("stop", name), env=self.env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name in airflow]
            if worker:
                self._cut_warm_shutdown_short(worker)
            for proc in stopping:
                proc.wait()
            self.supervisorctl("shutdown", check=False)
            _poll(lambda: not Path(f"/proc/{pid}").exists(), 120, "supervisord to stop")
            _say("local stack stopped")
        else:
            _say("local stack is not running")
        if remove_state and self.state_dir.exists():
            shutil.rmtree(self.state_dir)
            _say(f"removed {self.state_dir}")

    def _cut_warm_shutdown_short(self, worker: int) -> None:
        """Kill the worker once it is stopping. Its warm shutdown waits for running tasks, up to
        its stop grace: pointless when their state is deleted next. Killed only once STOPPING,
        it is not restarted by supervisord."""
        name = services.get("airflow-worker").name

        def state() -> str:
            return (self.supervisorctl("status", name, check=False).stdout.split() + ["", ""])[1]

        with contextlib.suppress(StackError):  # then the stop just takes its usual time
            _poll(lambda: state() != "RUNNING", 60, "the worker to begin stopping")
        if state() == "STOPPING":
            kill_tree(worker)

    def health(self) -> dict[str, str]:
        return {s.name: probes.check(s.probe, self.endpoints, self.env) for s in SERVICES if s.probe}

    def status(self) -> int:
        if not self.supervisor_running():
            print("local stack: not running")
            return 3
        print(self.supervisorctl("status", check=False).stdout.rstrip())
        report = self.health()
        for name, state in report.items():
            print(f"  {name:<24} {state}")
        return 0 if all(state == "healthy" for state in report.values()) else 1

    def pids(self) -> dict[str, int]:
        """Running service -> pid of its main process."""
        return {s.name: pid for s in SERVICES if (pid := self._pid_of(s.name))}

    def _pid_of(self, name: str) -> int | None:
        pid = self.supervisorctl("pid", name, check=False).stdout.strip()
        return int(pid) if pid.isdigit() and pid != "0" else None

    # --- faults ------------------------------------------------------------------------------------
    def restart(self, service: str, timeout: float = 300) -> None:
        self.supervisorctl("restart", services.get(service).name)
        self.wait_healthy(timeout, say=_say)

    def kill(self, service: str) -> None:
        """SIGKILL the service's whole process tree (supervisord's `signal KILL` reaches only the
        main process)."""
        kill_tree(int(self.supervisorctl("pid", services.get(service).name).stdout.strip()))

    def start_service(self, service: str, timeout: float = 300) -> None:
        result = self.supervisorctl("start", services.get(service).name, check=False)
        if result.returncode != 0 and "already started" not in result.stdout + result.stderr:
            raise StackError(f"could not start {service}:\n{result.stdout}{result.stderr}")
        self.wait_healthy(timeout, say=_say)

    # --- landing files -----------------------------------------------------------------------------
    def write_data_file(self, relpath: str, text: str) -> None:
        path = self.data_dir / data_relpath(relpath)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def read_data_file(self, relpath: str) -> str:
        return (self.data_dir / data_relpath(relpath)).read_text()


def kill_tree(pid: int) -> None:
    """SIGKILL `pid` and every descendant, as a crash would. Killing its process group is not
    enough: Airflow's task processes live in groups of their own, would finish the task as
    orphans, and the "crash" would lose nothing."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    victims = [root, *root.children(recursive=True)]
    for proc in victims:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(victims, timeout=30)


def _poll(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise StackError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)
