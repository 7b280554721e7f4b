"""Fixtures shared by the unit tests: the events server in a thread, warehouse tables, and the
local alert receivers (the sinks the stack ships) on free ports."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from airkit.compat import AIRFLOW_MAJOR
from airkit.events.server import make_server
from airkit.sinks.sentry import SentrySink
from airkit.sinks.smtp import MailSink

REPO_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = REPO_ROOT / "include" / "sql"


def dag_bag(dag_folder: Path | str, **kwargs: object):
    """The DAGs parsed from ``dag_folder`` (a file or a folder) and nothing else.

    Airflow 2's DagBag adds Airflow's example DAGs unless ``include_examples=False``; Airflow 3's
    has no such argument (it raises TypeError) and never adds them, since examples are a DAG
    bundle of their own there. Keyword arguments (e.g. ``safe_mode``) go to the DagBag.
    """
    from airflow.models import DagBag

    if AIRFLOW_MAJOR < 3:
        kwargs["include_examples"] = False
    return DagBag(dag_folder=str(dag_folder), **kwargs)


def context_macros():
    """The ``macros`` of a real task context on this line, for hand-made contexts.

    Airflow 3's task runner gives tasks ``airflow.sdk.execution_time.macros`` (through a lazy
    accessor); ``airflow.macros`` is only a deprecated alias of it there.
    """
    if AIRFLOW_MAJOR >= 3:
        from airflow.sdk.execution_time import macros
    else:
        from airflow import macros
    return macros


@pytest.fixture
def events_server() -> Iterator[Callable[..., str]]:
    """Factory: start the events API on a free port in a thread, return its base URL.

    Keyword arguments go to :func:`airkit.events.server.make_server` (e.g. ``fault=``).
    """
    servers = []

    def start(**kwargs: object) -> str:
        server = make_server("127.0.0.1", 0, **kwargs)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        host, port = server.server_address[:2]
        return f"http://{host}:{port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def events_api(events_server: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> str:
    """A default events server, reachable through connection id ``events_api``."""
    url = events_server()
    monkeypatch.setenv("AIRFLOW_CONN_EVENTS_API", url)
    return url


@pytest.fixture
def warehouse(pg_conn):
    """The test schema with the events_etl tables created by the DAG's own DDL."""
    with pg_conn.cursor() as cur:
        cur.execute((SQL_DIR / "events_etl" / "create_tables.sql").read_text())
    return pg_conn


def table_checksum(conn, table: str, order_by: str) -> tuple[int, str]:
    """(row count, md5 of all rows in ``order_by`` order): equal iff the contents are equal."""
    from psycopg2 import sql

    query = sql.SQL(
        "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY {order}), '')) FROM {table} t"
    ).format(order=sql.SQL(order_by), table=sql.Identifier(table))
    with conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchone()


def fetch_dicts(conn, query: str, params: dict | None = None) -> list[dict]:
    import psycopg2.extras

    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(query, params)
        return [dict(r) for r in cur.fetchall()]


@pytest.fixture
def sentry_sink() -> Iterator[SentrySink]:
    sink = SentrySink("127.0.0.1", 0).start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink("127.0.0.1", 0, 0).start()
    yield sink
    sink.stop()
