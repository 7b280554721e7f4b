"""airkit.stack.bootstrap against a real PostgreSQL: the warm-start migrate skip, the admin
account converging to the env file, and arguments that survive Airflow's own CLI parser.

The `airflow` CLI is replaced by a recorder that leaves what the real command leaves (the real
ones run in the integration suite); the database is real.
"""
from __future__ import annotations

from urllib.parse import quote

import psycopg2
import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from airkit.stack import bootstrap, envfile


@pytest.fixture
def uri(pg_dsn: str, pg_schema: str) -> str:
    """A SQLAlchemy-style URI into the test's schema, as Airflow's SQL_ALCHEMY_CONN looks."""
    sep = "&" if "?" in pg_dsn else "?"
    return (pg_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
            + f"{sep}options={quote(f'-csearch_path={pg_schema}', safe='')}")


class Recorder:
    """Stands in for the Airflow CLI: records each call, does what the real command leaves."""

    def __init__(self, uri: str):
        self.uri, self.calls = uri.replace("+psycopg2", ""), []

    def __call__(self, args) -> None:
        self.calls.append(list(args))
        with psycopg2.connect(self.uri) as conn, conn.cursor() as cur:
            if args[:2] == ["db", "migrate"]:
                cur.execute("CREATE TABLE IF NOT EXISTS alembic_version (version_num text)")
                cur.execute("DELETE FROM alembic_version")
                cur.execute("INSERT INTO alembic_version VALUES ('head')")
                cur.execute("CREATE TABLE IF NOT EXISTS ab_user (username text PRIMARY KEY, password text)")
            elif args[:2] == ["users", "create"]:
                opts = dict(a[2:].split("=", 1) for a in args[2:])
                cur.execute("INSERT INTO ab_user VALUES (%s, %s)",
                            (opts["username"], generate_password_hash(opts["password"])))
        conn.close()

    def sql(self, query: str, params=()):
        with psycopg2.connect(self.uri) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            rows = cur.fetchall() if cur.description else None
        conn.close()
        return rows


def test_first_start_migrates_and_a_warm_start_does_not(uri, tmp_path):
    cli, stamp = Recorder(uri), tmp_path / "migrated"
    assert bootstrap.migrate(uri, cli, stamp)
    assert stamp.read_text().strip() == bootstrap.migration_stamp("head")
    assert not bootstrap.migrate(uri, cli, stamp)
    assert cli.calls == [["db", "migrate"]]


def test_a_database_at_another_revision_is_migrated(uri, tmp_path):
    cli, stamp = Recorder(uri), tmp_path / "migrated"
    bootstrap.migrate(uri, cli, stamp)
    cli.sql("UPDATE alembic_version SET version_num = 'older'")  # e.g. restored from a backup
    assert bootstrap.migrate(uri, cli, stamp)


def test_another_airflow_version_migrates(uri, tmp_path):
    cli, stamp = Recorder(uri), tmp_path / "migrated"
    bootstrap.migrate(uri, cli, stamp)
    stamp.write_text("airflow 2.10.5 revision head\n")
    assert bootstrap.migrate(uri, cli, stamp)


def test_without_a_stamp_file_it_always_migrates(uri):
    cli = Recorder(uri)
    bootstrap.migrate(uri, cli)
    bootstrap.migrate(uri, cli)
    assert len(cli.calls) == 2


def test_the_admin_is_created_then_converges_to_the_env_files_password(uri):
    cli = Recorder(uri)
    bootstrap.migrate(uri, cli)
    assert bootstrap.ensure_admin(uri, "admin", "first-pw", cli) == "created"
    assert bootstrap.ensure_admin(uri, "admin", "first-pw", cli) == "unchanged"
    assert bootstrap.ensure_admin(uri, "admin", "second-pw", cli) == "password reset"
    (stored,), = cli.sql("SELECT password FROM ab_user WHERE username = 'admin'")
    assert check_password_hash(stored, "second-pw") and not check_password_hash(stored, "first-pw")
    assert [c[:2] for c in cli.calls].count(["users", "create"]) == 1


def test_generated_secrets_never_start_with_a_dash():
    # token_urlsafe starts with "-" once in 64 draws; 5,000 draws would all but surely show one.
    drawn = [envfile.new_secret("REDIS_PASSWORD") for _ in range(5000)]
    assert not [s for s in drawn if s.startswith("-")]
    assert len(set(drawn)) == len(drawn)


def test_admin_create_args_parse_with_airflows_cli_even_for_a_dash_password():
    from airflow.cli.cli_parser import get_parser

    args = get_parser().parse_args(bootstrap.admin_create_args("admin", "-Xy_z-123"))
    assert (args.username, args.password, args.role) == ("admin", "-Xy_z-123", "Admin")
