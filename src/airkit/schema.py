"""Record schemas: validate landing-file records *before* they reach the database.

The database would reject most bad input too, but only with a message about a cast or a
constraint on row N of a COPY stream. Checking in Python first lets the load fail with a
message that names the field and the problem, and lets it fail before any transaction starts.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException

#: Logical types a :class:`Field` may declare. They map onto Postgres column types; the
#: target table decides the exact type (e.g. ``numeric(12,2)``).
TYPES = ("text", "integer", "numeric", "boolean", "date", "timestamptz")

# Enough examples for a human to find the bad rows; a full list could be megabytes in the log.
_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Field:
    """One column of a target table and where its value comes from in an input record.

    :param name: column name in the target table.
    :param type: one of :data:`TYPES`.
    :param nullable: whether ``null`` / a missing value is allowed.
    :param source: key in the input record; defaults to ``name``. Lets a feed keep its own
        vocabulary (``user``, a reserved word in SQL) while the warehouse uses ``user_id``.
    """

    name: str
    type: str
    nullable: bool = False
    source: str | None = None

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"Field {self.name!r}: unknown type {self.type!r}; use one of {TYPES}")

    @property
    def key(self) -> str:
        return self.source or self.name


class _Invalid(ValueError):
    """A single value did not match its field's type."""


def _coerce(field: Field, value: Any, *, from_text: bool) -> Any:
    """Return ``value`` in the form COPY expects, or raise :class:`_Invalid`.

    ``from_text`` is True for CSV input, where every value arrives as a string and the type
    check becomes a parse; for JSON input a string where a number belongs is an error.
    """
    kind = field.type
    if kind == "text":
        if not isinstance(value, str):
            raise _Invalid(f"expected a string, got {type(value).__name__}")
        return value
    if kind == "integer":
        if from_text and isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                raise _Invalid(f"expected an integer, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _Invalid(f"expected an integer, got {type(value).__name__}")
        return int(value)
    if kind == "numeric":
        if from_text and isinstance(value, str):
            try:
                parsed = Decimal(value)
            except InvalidOperation:
                raise _Invalid(f"expected a number, got {value!r}") from None
            if not parsed.is_finite():
                raise _Invalid(f"expected a finite number, got {value!r}")
            return parsed
        if isinstance(value, bool) or not isinstance(value, numbers.Number | Decimal):
            raise _Invalid(f"expected a number, got {type(value).__name__}")
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise _Invalid(f"expected a finite number, got {value!r}")
            return value
        if isinstance(value, numbers.Integral):
            return int(value)
        if not math.isfinite(float(value)):
            raise _Invalid(f"expected a finite number, got {value!r}")
        # repr() of a float is the shortest string that round-trips; Decimal keeps it exact.
        return Decimal(repr(float(value)))
    if kind == "boolean":
        if from_text and isinstance(value, str) and value.lower() in ("true", "false", "t", "f"):
            return value.lower() in ("true", "t")
        if not isinstance(value, bool):
            raise _Invalid(f"expected a boolean, got {type(value).__name__}")
        return value
    if kind == "date":
        if isinstance(value, dt.datetime):
            raise _Invalid("expected a date, got a datetime")
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str):
            raise _Invalid(f"expected a YYYY-MM-DD string, got {type(value).__name__}")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Invalid(f"expected a YYYY-MM-DD date, got {value!r}") from None
    # timestamptz
    if isinstance(value, dt.datetime):
        parsed_ts = value
    elif isinstance(value, str):
        try:
            parsed_ts = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid(f"expected an ISO-8601 timestamp, got {value!r}") from None
    else:
        raise _Invalid(f"expected an ISO-8601 timestamp string, got {type(value).__name__}")
    # A naive timestamp would be read in the *session's* time zone: the same file could
    # load differently on two workers. Refuse it instead of guessing.
    if parsed_ts.tzinfo is None or parsed_ts.utcoffset() is None:
        raise _Invalid(f"timestamp {value!r} has no UTC offset")
    return parsed_ts


def validate_records(
    records: Iterable[Mapping[str, Any]],
    fields: Sequence[Field],
    *,
    key: Sequence[str] = (),
    partition: tuple[str, Any] | None = None,
    from_text: bool = False,
    source: str = "input",
) -> list[tuple[Any, ...]]:
    """Check every record against ``fields`` and return rows as tuples in ``fields`` order.

    :param key: column names that must never be null (checked even if a field says nullable).
    :param partition: ``(column, value)``: every row must belong to this partition; a row
        outside it would survive the next overwrite of its own partition and be duplicated.
    :param source: how to name the input in error messages (e.g. the file path).
    :raises AirflowFailException: naming each kind of problem with row numbers (1-based) and
        examples. Bad input does not get better on retry, so it must not be retried.
    """
    by_name = {f.name: f for f in fields}
    for column in key:
        if column not in by_name:
            raise ValueError(f"key column {column!r} is not one of the fields {list(by_name)}")
    part_field = part_value = None
    if partition is not None:
        part_field = by_name[partition[0]]
        part_value = _coerce(part_field, partition[1], from_text=True)

    problems: dict[str, list[str]] = {}

    def problem(kind: str, example: str) -> None:
        problems.setdefault(kind, []).append(example)

    rows: list[tuple[Any, ...]] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            problem("not an object", f"row {number}: {type(record).__name__}")
            continue
        row: list[Any] = []
        for f in fields:
            if f.key not in record:
                problem(f"missing field '{f.key}'", f"row {number}")
                row.append(None)
                continue
            value = record[f.key]
            if value is None or (from_text and value == "" and f.type != "text"):
                if f.name in key:
                    problem(f"null key '{f.key}'", f"row {number}")
                elif not f.nullable:
                    problem(f"null in required field '{f.key}'", f"row {number}")
                row.append(None)
                continue
            try:
                row.append(_coerce(f, value, from_text=from_text))
            except _Invalid as exc:
                problem(f"wrong type in field '{f.key}'", f"row {number}: {exc}")
                row.append(None)
        if part_field is not None:
            got = row[list(fields).index(part_field)]
            if got is not None and got != part_value:
                problem(
                    f"row outside partition {part_field.key}={part_value}",
                    f"row {number}: {part_field.key}={got}",
                )
        rows.append(tuple(row))

    if problems:
        lines = [f"{source} failed validation ({len(rows)} rows checked):"]
        for kind, examples in problems.items():
            shown = "; ".join(examples[:_MAX_EXAMPLES])
            more = f" (+{len(examples) - _MAX_EXAMPLES} more)" if len(examples) > _MAX_EXAMPLES else ""
            lines.append(f"  - {kind}: {len(examples)} row(s), e.g. {shown}{more}")
        raise AirflowFailException("\n".join(lines))
    return rows
