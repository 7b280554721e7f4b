"""Partition overwrite: replace one partition (e.g. one day) of a table, atomically."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import psycopg2
from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator
from psycopg2 import sql

from airkit.hooks import warehouse
from airkit.hooks.warehouse import WarehouseHook, table_identifier
from airkit.landing import detect_format, read_records
from airkit.schema import Field, validate_records

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


def overwrite_partition(
    hook: WarehouseHook,
    *,
    table: str,
    partition_column: str,
    partition_value: Any,
    fields: Sequence[Field],
    records: Iterable[Mapping[str, Any]],
    key: Sequence[str] = (),
    from_text: bool = False,
    source: str = "records",
) -> int:
    """Replace every row of ``table`` where ``partition_column = partition_value`` with ``records``.

    DELETE and COPY run in ONE transaction: readers see the old partition until the commit
    and the new one after it, never a half-loaded or empty day; if anything fails between
    the two, the rollback leaves the old partition in place. Running it twice with the same
    records gives the same table (unlike an append), so reruns and backfills are safe.

    Records are validated first; a record belonging to another partition is an error, since
    it would escape the next overwrite of its own partition and be duplicated.

    :returns: number of rows loaded.
    """
    rows = validate_records(
        records,
        fields,
        key=key,
        partition=(partition_column, partition_value),
        from_text=from_text,
        source=source,
    )
    delete = sql.SQL("DELETE FROM {table} WHERE {column} = %(partition_value)s").format(
        table=table_identifier(table), column=sql.Identifier(partition_column)
    )
    try:
        with hook.transaction() as conn, conn.cursor() as cur:
            cur.execute(delete, {"partition_value": partition_value})
            deleted = cur.rowcount
            # Looked up through the module so tests can inject a failure between the steps.
            warehouse.copy_rows(cur, table, [f.name for f in fields], rows)
    except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
        raise AirflowFailException(
            f"{table}: the database rejected the rows for {partition_column}={partition_value}; "
            f"the old partition is unchanged: {exc}".strip()
        ) from exc
    hook.log.info(
        "Overwrote %s partition %s=%s: %d old rows replaced by %d",
        table,
        partition_column,
        partition_value,
        deleted,
        len(rows),
    )
    return len(rows)


class PostgresPartitionOverwriteOperator(BaseOperator):
    """Replace one partition of a table with the contents of a JSON/CSV landing file.

    See :func:`overwrite_partition` for the transaction; the file must only contain rows of
    ``partition_value``.

    :param source_path: landing file to load. (templated)
    :param table: target table, ``table`` or ``schema.table``. (templated)
    :param partition_column: column that identifies the partition, e.g. ``day``.
    :param partition_value: the partition to replace, e.g. ``"{{ ds }}"``. (templated)
    :param fields: the columns to load, see :class:`airkit.schema.Field`.
    :param key: columns that must not be null.
    :param source_format: ``json`` or ``csv``; default from the file extension.
    :param postgres_conn_id: connection to the target database.
    """

    template_fields: Sequence[str] = ("source_path", "table", "partition_value")
    ui_color = "#d5f5e3"

    def __init__(
        self,
        *,
        source_path: str,
        table: str,
        partition_column: str,
        partition_value: str,
        fields: Sequence[Field],
        key: Sequence[str] = (),
        source_format: str | None = None,
        postgres_conn_id: str = WarehouseHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source_path = source_path
        self.table = table
        self.partition_column = partition_column
        self.partition_value = partition_value
        self.fields = tuple(fields)
        self.key = tuple(key)
        self.source_format = source_format
        self.postgres_conn_id = postgres_conn_id
        if partition_column not in {f.name for f in self.fields}:
            raise ValueError(f"partition_column {partition_column!r} is not one of the fields")

    def execute(self, context: Context) -> int:
        fmt = detect_format(self.source_path, self.source_format)
        hook = WarehouseHook(postgres_conn_id=self.postgres_conn_id)
        return overwrite_partition(
            hook,
            table=self.table,
            partition_column=self.partition_column,
            partition_value=self.partition_value,
            fields=self.fields,
            records=read_records(self.source_path, fmt),
            key=self.key,
            from_text=fmt == "csv",
            source=self.source_path,
        )
