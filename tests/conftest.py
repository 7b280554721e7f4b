"""Process-wide test isolation, and schemas of a real PostgreSQL for unit tests.

Airflow reads AIRFLOW_HOME and its config when it is first imported, so the isolation
below happens at conftest import, before any test module imports Airflow. Every pytest
process gets its own throwaway AIRFLOW_HOME: tests never read or write a developer's
~/airflow, metadata DB or running stack. Integration tests talk to their stack over HTTP
and start their stacks with environments that override every variable set here.
"""

from __future__ import annotations

import os
import shutil
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


# pg_dsn (a real, throwaway PostgreSQL) comes from the airkit pytest plugin (airkit.testing.plugin).


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
