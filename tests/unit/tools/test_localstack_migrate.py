"""A warm `make up` skips `airflow db migrate` only when the database is exactly where this
Airflow version left it; any other state runs the real migration."""

from __future__ import annotations

import psycopg2
import pytest

import localstack


@pytest.fixture
def stack(pg_dsn: str, pg_schema: str, tmp_path):
    """A LocalStack wired to a throwaway schema; the `airflow` CLI is replaced by a recorder
    that does what a migration leaves behind (the real one runs in the integration suite)."""
    stack = localstack.LocalStack.__new__(localstack.LocalStack)
    stack.state_dir = tmp_path
    (tmp_path / "airflow").mkdir()
    stack.values = {"POSTGRES_DB": "unused"}
    stack._pg_connect = lambda dbname: psycopg2.connect(pg_dsn, options=f"-csearch_path={pg_schema}")
    stack.log_path = lambda name: tmp_path / f"{name}.log"
    stack.cli_calls = []

    def fake_airflow(*args, **kwargs):
        stack.cli_calls.append(args)
        with stack._pg_connect("") as conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num text)")
            cur.execute("DELETE FROM alembic_version")
            cur.execute("INSERT INTO alembic_version VALUES ('head')")
        conn.close()

    stack.airflow = fake_airflow
    return stack


def _set_revision(stack, revision: str) -> None:
    with stack._pg_connect("") as conn, conn.cursor() as cur:
        cur.execute("UPDATE alembic_version SET version_num = %s", (revision,))
    conn.close()


def test_first_start_migrates_and_a_warm_start_does_not(stack) -> None:
    stack.migrate()
    assert stack.cli_calls == [("db", "migrate")]
    assert (stack.state_dir / "airflow" / "migrated").read_text().strip() == localstack.migration_stamp("head")
    stack.migrate()
    assert len(stack.cli_calls) == 1


def test_a_database_at_another_revision_is_migrated(stack) -> None:
    stack.migrate()
    _set_revision(stack, "older")  # e.g. restored from a backup
    stack.migrate()
    assert len(stack.cli_calls) == 2


def test_another_airflow_version_migrates(stack) -> None:
    stack.migrate()
    (stack.state_dir / "airflow" / "migrated").write_text("airflow 2.10.5 revision head\n")
    stack.migrate()
    assert len(stack.cli_calls) == 2
