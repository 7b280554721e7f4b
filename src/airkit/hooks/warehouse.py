"""Hook for the pipelines' warehouse database (connection id ``warehouse_default``)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import psycopg2
from airflow.providers.postgres.hooks.postgres import PostgresHook
from psycopg2 import sql

if TYPE_CHECKING:
    import pandas as pd
    from psycopg2.extensions import connection, cursor


def table_identifier(table: str) -> sql.Composable:
    """``"schema.table"`` or ``"table"`` as a safely quoted identifier.

    Table names cannot be bind parameters, and formatting them into SQL text is how
    injection happens; ``psycopg2.sql.Identifier`` quotes each part instead.
    """
    parts = table.split(".")
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise ValueError(f"table must be 'table' or 'schema.table', got {table!r}")
    return sql.Identifier(*parts)


def create_table_once(cur: cursor, table: str, columns: str) -> None:
    """``CREATE TABLE IF NOT EXISTS`` that several DAG runs may do at the same moment.

    Two transactions creating the same table at once both pass the IF NOT EXISTS check and
    the second then fails on the catalog's unique index (backfills start runs together). A
    transaction-scoped advisory lock on the table's name makes the second wait and then see
    the table. The lock is held until the caller's transaction ends, so writers that create
    the table in the same transaction as their load also take turns. ``columns`` is DDL
    written in the DAG, never input.
    """
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"airkit.create_table:{table}",))
    cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(table_identifier(table), sql.SQL(columns)))


_COPY_SPECIALS = re.compile(r"[\\\t\n\r]")


def _copy_escape(text: str) -> str:
    # COPY's text format: backslash, tab and newlines are escaped. Almost no value has any,
    # and one regex scan is cheaper than four replace() passes over every string.
    if _COPY_SPECIALS.search(text) is None:
        return text
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_text(value: Any) -> str:
    # Any other type: \N is NULL; dates and times go out as ISO 8601. Text format rather than
    # CSV because there an empty string and NULL look alike.
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return _copy_escape(value.isoformat() if hasattr(value, "isoformat") else str(value))


# Exact-type dispatch for what validated rows hold: serialising is most of a bulk load's
# client-side time, and one dict lookup per value beats a chain of isinstance checks.
# Subclasses (bool is an int) and anything else take the general path.
_COPY_FORMATTERS: dict[type, Callable[[Any], str]] = {
    str: _copy_escape,
    int: str,
    float: str,
    Decimal: str,
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
}


def copy_rows(
    cur: cursor, table: str | sql.Composable, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Bulk-load ``rows`` into ``table`` with one ``COPY ... FROM STDIN``.

    One round trip for the whole batch instead of one INSERT per row; it runs in the
    caller's transaction, so it is all-or-nothing together with whatever else that does.
    """
    formatter = _COPY_FORMATTERS.get
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join([formatter(type(v), _copy_text)(v) for v in row]))
        buf.write("\n")
    buf.seek(0)
    target = table_identifier(table) if isinstance(table, str) else table
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cur.copy_expert(statement.as_string(cur), buf)


class WarehouseHook(PostgresHook):
    """PostgresHook that defaults to ``warehouse_default`` and adds a transaction helper.

    ``AIRFLOW_CONN_WAREHOUSE_DEFAULT`` (see .env.example) defines the connection.
    """

    default_conn_name = "warehouse_default"
    hook_name = "airkit warehouse (Postgres)"

    def _create_connection(self, conn_args: dict[str, Any]) -> connection:
        # providers-postgres 7 connects with psycopg 3 whenever psycopg is importable and
        # SQLAlchemy is 2.x, i.e. always on Airflow 3. airkit's SQL is psycopg2 code
        # (psycopg2.sql, copy_expert, `with conn:`), so the warehouse stays on psycopg2 on
        # both lines. The provider's get_conn still builds conn_args, so extras such as
        # options=-csearch_path=... arrive here unchanged. A private seam of the provider:
        # recheck it when the provider's version moves.
        return psycopg2.connect(**conn_args)

    @contextmanager
    def transaction(self) -> Iterator[connection]:
        """A fresh connection whose work commits on success and rolls back on any exception.

        psycopg2's ``with conn:`` ends the transaction but does not close the connection;
        this does both, so a failed task never leaks an idle-in-transaction session.
        """
        conn = self.get_conn()
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    def fetch_dataframe(self, query: str, parameters: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a SELECT with bind parameters and return the result as a DataFrame.

        Built from the cursor rather than ``pandas.read_sql``: pandas 2.1 only supports a
        raw DBAPI connection with a warning, and Airflow 2.11 pins SQLAlchemy 1.4.
        """
        import pandas as pd

        with closing(self.get_conn()) as conn, conn.cursor() as cur:
            cur.execute(query, parameters)
            columns = [d.name for d in cur.description]
            return pd.DataFrame.from_records(cur.fetchall(), columns=columns)
