"""Idempotent bulk upsert of a landing file into a Postgres table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import psycopg2
from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator
from psycopg2 import sql

from airkit.hooks.warehouse import WarehouseHook, copy_rows, table_identifier
from airkit.landing import detect_format, read_records
from airkit.schema import Field, validate_records

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

# Extra staging column: the record's position in the file, the last tie-breaker, so that
# even two versions that agree on every ``order_by`` column resolve the same way every run.
_ROW_NUMBER = "_airkit_row"
_STAGE = sql.Identifier("airkit_upsert_stage")


def build_upsert_sql(
    table: str, columns: Sequence[str], key: Sequence[str], order_by: Sequence[str]
) -> tuple[sql.Composed, sql.Composed]:
    """Return (create-staging-table, upsert-from-staging) statements.

    Identifiers are composed with ``psycopg2.sql`` (quoted, never formatted into text); there
    are no values in either statement, the rows travel through COPY.
    """
    target = table_identifier(table)
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    key_cols = sql.SQL(", ").join(map(sql.Identifier, key))

    # Typed like the target (copied column by column), but without its constraints: a
    # batch may legitimately hold the same key several times until DISTINCT ON below.
    create_stage = sql.SQL(
        "CREATE TEMP TABLE {stage} ON COMMIT DROP AS "
        "SELECT {cols}, 0::bigint AS {rownum} FROM {target} WITH NO DATA"
    ).format(stage=_STAGE, cols=cols, target=target, rownum=sql.Identifier(_ROW_NUMBER))

    # ON CONFLICT cannot touch the same row twice in one statement, so duplicates of a key
    # are collapsed first: DISTINCT ON keeps the first row per key in ORDER BY order, i.e.
    # the latest version.
    newest_first = [sql.SQL("{} DESC NULLS LAST").format(sql.Identifier(c)) for c in order_by]
    newest_first.append(sql.SQL("{} DESC").format(sql.Identifier(_ROW_NUMBER)))
    non_key = [c for c in columns if c not in key]
    if non_key:
        assignments = sql.SQL(", ").join(
            sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in non_key
        )
        on_conflict = sql.SQL("DO UPDATE SET {}").format(assignments)
        if order_by:
            # Never let an older version overwrite a newer one that is already loaded,
            # e.g. when an old day is re-fetched after a correction was loaded.
            on_conflict += sql.SQL(" WHERE ({old}) <= ({new})").format(
                old=sql.SQL(", ").join(sql.Identifier("t", c) for c in order_by),
                new=sql.SQL(", ").join(sql.Identifier("excluded", c) for c in order_by),
            )
    else:
        on_conflict = sql.SQL("DO NOTHING")

    upsert = sql.SQL(
        "INSERT INTO {target} AS t ({cols}) "
        "SELECT DISTINCT ON ({key}) {cols} FROM {stage} "
        "ORDER BY {key}, {newest_first} "
        "ON CONFLICT ({key}) {on_conflict} "
        "RETURNING (xmax = 0) AS inserted"
    ).format(
        target=target,
        cols=cols,
        key=key_cols,
        stage=_STAGE,
        newest_first=sql.SQL(", ").join(newest_first),
        on_conflict=on_conflict,
    )
    return create_stage, upsert


def find_conflicts(
    rows: Sequence[Sequence[Any]], columns: Sequence[str], key: Sequence[str], order_by: Sequence[str]
) -> list[str]:
    """Keys delivered twice *as the same version* with different contents, described for humans.

    The batch rule: exact duplicates collapse into one row, and a higher ``order_by`` version
    replaces a lower one. Two different payloads claiming the same version have no winner:
    picking one by file position would make the table depend on delivery order, so the batch
    is refused instead.
    """
    index = {c: i for i, c in enumerate(columns)}
    seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    conflicts: list[str] = []
    for row in rows:
        ident = tuple(row[index[c]] for c in (*key, *order_by))
        first = seen.setdefault(ident, tuple(row))
        if first != tuple(row):
            differing = [c for c in columns if first[index[c]] != row[index[c]]]
            what = ", ".join(f"{c}={v!r}" for c, v in zip((*key, *order_by), ident))
            conflicts.append(f"{what}: differs in {', '.join(differing)}")
    return conflicts


def upsert_records(
    hook: WarehouseHook,
    *,
    table: str,
    fields: Sequence[Field],
    key: Sequence[str],
    rows: Sequence[Sequence[Any]],
    order_by: Sequence[str] = (),
) -> dict[str, int]:
    """Upsert already-validated ``rows`` (tuples in ``fields`` order) in one transaction."""
    columns = [f.name for f in fields]
    create_stage, upsert = build_upsert_sql(table, columns, key, order_by)
    numbered = (tuple(row) + (n,) for n, row in enumerate(rows, start=1))
    try:
        with hook.transaction() as conn, conn.cursor() as cur:
            cur.execute(create_stage)
            copy_rows(cur, _STAGE, [*columns, _ROW_NUMBER], numbered)
            cur.execute(upsert)
            results = [inserted for (inserted,) in cur.fetchall()]
    except (psycopg2.DataError, psycopg2.IntegrityError) as exc:
        # The transaction rolled back; the data, not the database, is at fault: no retry.
        raise AirflowFailException(f"{table}: the database rejected the batch: {exc}".strip()) from exc
    inserted = sum(1 for r in results if r)
    return {
        "rows_in": len(rows),
        "inserted": inserted,
        "updated": len(results) - inserted,
    }


class PostgresUpsertOperator(BaseOperator):
    """Load a JSON/CSV landing file into a table with ``INSERT ... ON CONFLICT DO UPDATE``.

    All in one transaction: COPY the file into a TEMP staging table, then one
    ``INSERT ... SELECT DISTINCT ON (key) ... ON CONFLICT (key) DO UPDATE``. Running it again
    with the same file leaves the table exactly as it was, which is what makes retries,
    clears and backfills safe. Invalid input (missing fields, wrong types, null keys, rows
    outside ``partition_value``, one key and version delivered with two different contents)
    fails the task with :class:`AirflowFailException` before
    the table is touched.

    :param source_path: landing file to load. (templated)
    :param table: target table, ``table`` or ``schema.table``; it must exist and have a
        unique constraint on ``key``. (templated)
    :param fields: the columns to load, see :class:`airkit.schema.Field`.
    :param key: conflict column(s).
    :param order_by: columns that say which version of a key is newest, most significant
        first (e.g. ``("version", "updated_at")``); the newest wins within the batch and
        an older one never replaces a newer row already in the table.
    :param partition_column: if set, every row must have ``partition_value`` in this column.
    :param partition_value: the partition this run loads, e.g. ``"{{ ds }}"``. (templated)
    :param source_format: ``json`` or ``csv``; default from the file extension.
    :param postgres_conn_id: connection to the target database.
    """

    template_fields: Sequence[str] = ("source_path", "table", "partition_value")
    ui_color = "#cfe8fc"

    def __init__(
        self,
        *,
        source_path: str,
        table: str,
        fields: Sequence[Field],
        key: str | Sequence[str],
        order_by: Sequence[str] = (),
        partition_column: str | None = None,
        partition_value: str | None = None,
        source_format: str | None = None,
        postgres_conn_id: str = WarehouseHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source_path = source_path
        self.table = table
        self.fields = tuple(fields)
        self.key = (key,) if isinstance(key, str) else tuple(key)
        self.order_by = tuple(order_by)
        self.partition_column = partition_column
        self.partition_value = partition_value
        self.source_format = source_format
        self.postgres_conn_id = postgres_conn_id
        names = {f.name for f in self.fields}
        unknown = (set(self.key) | set(self.order_by) | {partition_column} - {None}) - names
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not among the fields {sorted(names)}")
        if (partition_column is None) != (partition_value is None):
            raise ValueError("give both partition_column and partition_value, or neither")

    def execute(self, context: Context) -> dict[str, int]:
        fmt = detect_format(self.source_path, self.source_format)
        records = read_records(self.source_path, fmt)
        partition = (self.partition_column, self.partition_value) if self.partition_column else None
        rows = validate_records(
            records,
            self.fields,
            key=self.key,
            partition=partition,
            from_text=fmt == "csv",
            source=self.source_path,
        )
        conflicts = find_conflicts(rows, [f.name for f in self.fields], self.key, self.order_by)
        if conflicts:
            raise AirflowFailException(
                f"{self.source_path}: {len(conflicts)} conflicting duplicate(s): the same "
                f"{'/'.join((*self.key, *self.order_by))} with different contents, so no version can "
                f"win; {self.table} is unchanged. E.g. " + "; ".join(conflicts[:5])
            )
        if not rows:
            self.log.warning("%s holds no records; %s is left as it is", self.source_path, self.table)
        hook = WarehouseHook(postgres_conn_id=self.postgres_conn_id)
        result = upsert_records(
            hook, table=self.table, fields=self.fields, key=self.key, rows=rows, order_by=self.order_by
        )
        self.log.info(
            "Upserted %s: %d records in file, %d inserted, %d updated (the rest were duplicates "
            "or older versions)",
            self.table,
            result["rows_in"],
            result["inserted"],
            result["updated"],
        )
        return result
