"""Process-wide test isolation and a real PostgreSQL for unit tests.

Airflow reads AIRFLOW_HOME and its config when it is first imported, so the isolation
below happens at conftest import, before any test module imports Airflow. Every pytest
process gets its own throwaway AIRFLOW_HOME: tests never read or write a developer's
~/airflow, metadata DB or running stack. Integration tests talk to their stack over HTTP
and start their stacks with environments that override every variable set here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

_AIRFLOW_HOME = tempfile.mkdtemp(prefix="airkit-test-airflow-home-")
os.environ.update(
    {
        "AIRFLOW_HOME": _AIRFLOW_HOME,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # Not AIRFLOW__CORE__UNIT_TEST_MODE: os.environ is inherited by the stacks that
        # integration tests start from this same process, and test mode there would swap
        # in Airflow's test config. The private AIRFLOW_HOME and SQLite DB isolate enough.
        #
        # Unit tests never need a metadata DB; if something asks for one anyway it gets a
        # private SQLite file, never the developer's Postgres.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME}/unittests.db",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": f"{_AIRFLOW_HOME}/logs",
    }
)
# A developer's shell may carry the stack's connections; unit tests define their own.
# Alert targets too: a unit test must never mail or report to a real recipient.
for _name in ("AIRFLOW_CONN_WAREHOUSE_DEFAULT", "AIRFLOW_CONN_EVENTS_API", "AIRKIT_DATA_DIR",
              "ALERT_EMAIL_TO", "SENTRY_DSN"):
    os.environ.pop(_name, None)

PG_BIN = Path(os.environ.get("AIRKIT_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PACKAGE_HINT = "install the apt package 'postgresql-15' (make deps), or set AIRKIT_TEST_PG_DSN"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _ThrowawayPostgres:
    """A PostgreSQL 15 cluster in a temp dir, listening on 127.0.0.1:<free port>, trust auth."""

    def __init__(self) -> None:
        missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).is_file()]
        if missing:
            pytest.fail(f"PostgreSQL binaries {missing} not found in {PG_BIN}: {PG_PACKAGE_HINT}", pytrace=False)
        self.root = Path(tempfile.mkdtemp(prefix="airkit-test-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: run them as the 'postgres' system user.
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        cmd = [*self.as_user, *args]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.root / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            pytest.fail(
                f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{tail}",
                pytrace=False,
            )

    def start(self) -> str:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            # Durability is pointless for a throwaway cluster and costs seconds.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"),
            "-o", options, "-w", "-t", "60", "start",
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """libpq URI of a real PostgreSQL: ``$AIRKIT_TEST_PG_DSN``, else a throwaway cluster."""
    dsn = os.environ.get("AIRKIT_TEST_PG_DSN")
    if dsn:
        yield dsn
        return
    server = _ThrowawayPostgres()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def pg_schema(pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty schema for one test, and ``warehouse_default`` pointing into it.

    The connection's ``options`` put the schema first on the search_path, so unqualified
    table names (as in the DAG's SQL) resolve to it. Dropped afterwards; safe even when
    AIRKIT_TEST_PG_DSN names a shared database.
    """
    import psycopg2

    schema = f"airkit_test_{uuid.uuid4().hex[:12]}"
    with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')  # generated name, not input
    conn.close()
    separator = "&" if "?" in pg_dsn else "?"
    uri = f"{pg_dsn}{separator}options={quote(f'-csearch_path={schema}', safe='')}"
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE_DEFAULT", uri)
    try:
        yield schema
    finally:
        with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


@pytest.fixture
def pg_conn(pg_dsn: str, pg_schema: str) -> Iterator[object]:
    """An autocommit psycopg2 connection whose search_path is the test's schema."""
    import psycopg2

    conn = psycopg2.connect(pg_dsn, options=f"-csearch_path={pg_schema}")
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()
