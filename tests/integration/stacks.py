"""The stack an integration test talks to, whatever runs it.

Three ways to get one (see conftest.py):
- an isolated local-process stack under .state/test/local (own env file, own free ports);
- an isolated Compose project `airkit-test` (own env file and ports, volumes removed after);
- the stack already running for the developer (AIRKIT_STACK=running), named by ENV_FILE.

Tests only use what every runtime offers: the REST API, the warehouse over TCP, the Airflow CLI
inside the stack, and service logs.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from abc import ABC, abstractmethod
from pathlib import Path

import psycopg2
import psycopg2.extras

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import envfile  # noqa: E402
import localstack  # noqa: E402

from airflow_api import AirflowAPI  # noqa: E402

# Settings that must differ from a developer's own stack so both can run at once.
PORT_SETTINGS = (
    "AIRFLOW_WEBSERVER_PORT", "AIRFLOW_SCHEDULER_HEALTH_PORT", "POSTGRES_PORT", "REDIS_PORT",
    "EVENTS_API_PORT", "FLOWER_PORT", "SMTP_PORT", "SMTP_WEB_PORT", "SENTRY_SINK_PORT",
    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT",
)


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def isolated_env_file(path: Path) -> Path:
    """An env file with fresh secrets and free ports; kept if it exists (KEEP_STACK reuse)."""
    overrides = dict(zip(PORT_SETTINGS, map(str, free_ports(len(PORT_SETTINGS)))))
    envfile.generate(REPO / ".env.example", path, overrides)
    return path


class Stack(ABC):
    runtime: str

    def __init__(self, env_file: Path):
        self.env_file = Path(env_file)
        self.values = envfile.parse(self.env_file)
        host = self.values["BIND_ADDRESS"]
        self.host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.api = AirflowAPI(
            f"http://{self.host}:{self.values['AIRFLOW_WEBSERVER_PORT']}",
            (self.values["_AIRFLOW_WWW_USER_USERNAME"], self.values["_AIRFLOW_WWW_USER_PASSWORD"]),
        )

    # --- lifecycle, per runtime ------------------------------------------------------------
    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self, remove_state: bool) -> None: ...

    @abstractmethod
    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """The Airflow CLI inside the stack (check the return code yourself)."""

    @abstractmethod
    def logs(self, service: str, lines: int = 80) -> str: ...

    # Services are named as in compose: postgres, redis, events-api, airflow-webserver,
    # airflow-scheduler, airflow-worker, airflow-triggerer (the supervisord programs too).
    @abstractmethod
    def restart(self, service: str, timeout: float = 300) -> None:
        """Restart a service and wait (bounded) until the stack is healthy again."""

    @abstractmethod
    def kill(self, service: str) -> None:
        """SIGKILL a service. supervisord restarts it by itself, Docker does not: call start_service()."""

    @abstractmethod
    def start_service(self, service: str, timeout: float = 300) -> None:
        """Make sure a (stopped or killed) service runs, and wait until the stack is healthy."""

    # Landing files: paths relative to the data dir every worker reads (AIRKIT_DATA_DIR).
    @abstractmethod
    def write_data_file(self, relpath: str, text: str) -> None: ...

    @abstractmethod
    def read_data_file(self, relpath: str) -> str: ...

    # --- shared ----------------------------------------------------------------------------
    @property
    def events_url(self) -> str:
        return f"http://{self.host}:{self.values['EVENTS_API_PORT']}"

    def warehouse(self):
        """A connection to the warehouse database; rows come back as dicts."""
        return psycopg2.connect(
            host=self.host, port=self.values["POSTGRES_PORT"], dbname=self.values["WAREHOUSE_DB"],
            user=self.values["POSTGRES_USER"], password=self.values["POSTGRES_PASSWORD"],
            cursor_factory=psycopg2.extras.RealDictCursor, connect_timeout=5,
        )

    def metadata_db(self):
        return psycopg2.connect(
            host=self.host, port=self.values["POSTGRES_PORT"], dbname=self.values["POSTGRES_DB"],
            user=self.values["POSTGRES_USER"], password=self.values["POSTGRES_PASSWORD"],
            cursor_factory=psycopg2.extras.RealDictCursor, connect_timeout=5,
        )


class LocalStack(Stack):
    runtime = "local"

    def __init__(self, env_file: Path, state_dir: Path):
        super().__init__(env_file)
        self.local = localstack.LocalStack(env_file, state_dir)

    def start(self) -> None:
        self.local.up(timeout=float(os.environ.get("UP_TIMEOUT") or 300))

    def stop(self, remove_state: bool) -> None:
        self.local.reset() if remove_state else self.local.down()

    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return self.local.airflow(*args, check=False, timeout=timeout)

    def logs(self, service: str, lines: int = 80) -> str:
        return self.local.tail(service, lines)

    @property
    def data_dir(self) -> Path:
        return self.local.state_dir / "data"

    def _program(self, service: str) -> str:
        if service not in localstack.SERVICES:
            raise ValueError(f"unknown service {service!r}; one of {localstack.SERVICES}")
        return f"{'data' if service in ('postgres', 'redis') else 'airflow'}:{service}"

    def restart(self, service: str, timeout: float = 300) -> None:
        self.local.supervisorctl("restart", self._program(service))
        self.local.wait(timeout)

    def kill(self, service: str) -> None:
        """SIGKILL the service's whole process tree, as `docker kill` does to a container.

        supervisord's `signal KILL` reaches only the main process, and Airflow's task processes
        live in process groups of their own: they would finish the task as orphans, and the
        "crash" would lose nothing.
        """
        import psutil

        pid = int(self.local.supervisorctl("pid", self._program(service)).stdout.strip())
        root = psutil.Process(pid)
        victims = [root, *root.children(recursive=True)]
        for proc in victims:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(victims, timeout=30)

    def start_service(self, service: str, timeout: float = 300) -> None:
        result = self.local.supervisorctl("start", self._program(service), check=False)
        if result.returncode != 0 and "already started" not in result.stdout + result.stderr:
            raise localstack.StackError(f"could not start {service}:\n{result.stdout}{result.stderr}")
        self.local.wait(timeout)

    def _data_path(self, relpath: str) -> Path:
        path = (self.data_dir / relpath).resolve()
        if Path(relpath).is_absolute() or not path.is_relative_to(self.data_dir.resolve()):
            raise ValueError(f"data file paths are relative to the data dir and stay inside it: {relpath!r}")
        return path

    def write_data_file(self, relpath: str, text: str) -> None:
        path = self._data_path(relpath)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    def read_data_file(self, relpath: str) -> str:
        return self._data_path(relpath).read_text()


def compose_stack(env_file: Path, project: str, docker_services=None) -> Stack:
    """The Compose runtime's Stack; defined in compose_stack.py next to its pytest-docker use."""
    from compose_stack import ComposeStack

    return ComposeStack(env_file, project, docker_services)
