"""Bootstrap a stack's metadata database: migrate the schema, converge the admin account.

One routine for both runtimes: the local launcher calls `migrate()` and `ensure_admin()`
in-process; compose's one-shot `airflow-init` runs `python -m airkit.stack.bootstrap` inside
the image. Idempotent: a second run changes nothing.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from airkit.stack.settings import libpq_uri

#: Runs the Airflow CLI with these arguments; raises on failure.
AirflowRunner = Callable[[Sequence[str]], None]


def schema_revision(sqlalchemy_uri: str) -> str | None:
    """The metadata database's Alembic revision; None before the first migration."""
    import psycopg2

    with psycopg2.connect(libpq_uri(sqlalchemy_uri), connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('alembic_version') IS NOT NULL")
        row = None
        if cur.fetchone()[0]:
            cur.execute("SELECT version_num FROM alembic_version")
            row = cur.fetchone()
    conn.close()
    return row[0] if row else None


def migration_stamp(revision: str | None) -> str:
    """What `migrate` records after migrating: a later start may skip the CLI only when the
    installed Airflow and the database's revision both still match it."""
    from importlib.metadata import version

    return f"airflow {version('apache-airflow')} revision {revision}"


def migrate(sqlalchemy_uri: str, run_airflow: AirflowRunner, stamp_file: Path | None = None) -> bool:
    """`airflow db migrate`; with a `stamp_file`, skipped when this Airflow version already
    migrated this database (the CLI costs several CPU-seconds even when there is nothing to do).
    Returns whether the CLI ran."""
    if stamp_file is not None and stamp_file.exists():
        revision = schema_revision(sqlalchemy_uri)
        if revision and stamp_file.read_text().strip() == migration_stamp(revision):
            return False
    run_airflow(["db", "migrate"])
    if stamp_file is not None:
        stamp_file.write_text(migration_stamp(schema_revision(sqlalchemy_uri)) + "\n")
    return True


def admin_create_args(user: str, password: str) -> list[str]:
    """`airflow users create` for the env file's admin. Every value as --option=value: a separate
    argument that starts with "-" (a password may) would be parsed as an option."""
    return ["users", "create", "--role=Admin", f"--username={user}", f"--password={password}",
            f"--email={user}@localhost", "--firstname=Platform", "--lastname=Admin"]


def ensure_admin(sqlalchemy_uri: str, user: str, password: str, run_airflow: AirflowRunner) -> str:
    """Create the admin, or reset its password to the env file's; returns what it did.
    (`airflow users reset-password` crashes in the FAB provider shipped with 2.11.)"""
    import psycopg2
    from werkzeug.security import check_password_hash, generate_password_hash

    with psycopg2.connect(libpq_uri(sqlalchemy_uri), connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute("SELECT password FROM ab_user WHERE username = %s", (user,))
        row = cur.fetchone()
        if row is not None and not (row[0] and check_password_hash(row[0], password)):
            cur.execute("UPDATE ab_user SET password = %s WHERE username = %s",
                        (generate_password_hash(password), user))
    conn.close()
    if row is None:
        run_airflow(admin_create_args(user, password))
        return "created"
    return "unchanged" if row[0] and check_password_hash(row[0], password) else "password reset"


def _run_airflow(args: Sequence[str]) -> None:
    result = subprocess.run(["airflow", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"`airflow {args[0]} {args[1] if len(args) > 1 else ''}` failed:\n"
                         f"{result.stdout[-2000:]}{result.stderr[-4000:]}")


def main() -> int:
    uri = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    user, password = os.environ["_AIRFLOW_WWW_USER_USERNAME"], os.environ["_AIRFLOW_WWW_USER_PASSWORD"]
    print("[bootstrap] migrating the metadata database (airflow db migrate)", flush=True)
    migrate(uri, _run_airflow)
    print(f"[bootstrap] admin {user!r}: {ensure_admin(uri, user, password, _run_airflow)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
