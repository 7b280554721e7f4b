from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airkit.events.generator import generate_events
from airkit.events.schema import EVENT_FIELDS, EVENT_KEY
from airkit.schema import Field, validate_records

DAY = "2024-01-03"


def check(records, **kwargs):
    return validate_records(records, EVENT_FIELDS, key=EVENT_KEY, partition=("day", DAY), **kwargs)


def test_generator_output_is_valid() -> None:
    rows = check(generate_events(DAY))
    assert len(rows) == len(generate_events(DAY))
    event_id, user_id, _, occurred_at, amount, day, version, _ = rows[0]
    assert isinstance(amount, Decimal) and isinstance(version, int)
    assert day == dt.date(2024, 1, 3) and occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda e: e.pop("user"), "missing field 'user'"),
        (lambda e: e.update(amount="12.50"), "wrong type in field 'amount'"),
        (lambda e: e.update(version=True), "wrong type in field 'version'"),
        (lambda e: e.update(event_id=None), "null key 'event_id'"),
        (lambda e: e.update(event_type=None), "null in required field 'event_type'"),
        (lambda e: e.update(date="2024-01-02"), "row outside partition date=2024-01-03"),
        (lambda e: e.update(occurred_at="2024-01-03T10:00:00"), "has no UTC offset"),
        (lambda e: e.update(occurred_at="yesterday"), "expected an ISO-8601 timestamp"),
        (lambda e: e.update(amount=float("nan")), "expected a finite number"),
    ],
)
def test_problems_are_named(damage, message: str) -> None:
    records = generate_events(DAY)
    for event in records[3:10]:
        damage(event)
    with pytest.raises(AirflowFailException, match="failed validation") as info:
        check(records, source="events.json")
    text = str(info.value)
    assert message in text
    assert "7 row(s)" in text and "row 4" in text and "(+2 more)" in text
    assert text.startswith("events.json")


def test_not_an_object() -> None:
    with pytest.raises(AirflowFailException, match="not an object"):
        check([["a", "list"]])


def test_csv_values_are_parsed() -> None:
    fields = (Field("id", "integer"), Field("price", "numeric"), Field("ok", "boolean"), Field("note", "text", nullable=True))
    rows = validate_records([{"id": "7", "price": "1.50", "ok": "true", "note": ""}], fields, key=("id",), from_text=True)
    assert rows == [(7, Decimal("1.50"), True, "")]
    with pytest.raises(AirflowFailException, match="expected an integer"):
        validate_records([{"id": "seven", "price": "1", "ok": "f", "note": ""}], fields, from_text=True)


def test_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        Field("x", "varchar")
