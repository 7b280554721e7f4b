"""PostgresUpsertOperator against a real Postgres (see tests/conftest.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airkit.events.generator import expected_events, generate_events
from airkit.events.schema import EVENT_FIELDS, EVENT_KEY, EVENT_NEWEST_FIRST
from airkit.events.server import damage_events
from airkit.operators.upsert import PostgresUpsertOperator, build_upsert_sql

from ..conftest import fetch_dicts, table_checksum

DAY = "2024-01-03"


def landing_file(tmp_path: Path, events: list[dict], name: str = f"{DAY}.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(events))
    return str(path)


def load(path: str, day: str = DAY, **kwargs) -> dict:
    op = PostgresUpsertOperator(
        task_id="load_events",
        source_path=path,
        table="events",
        fields=EVENT_FIELDS,
        key=EVENT_KEY,
        order_by=EVENT_NEWEST_FIRST,
        partition_column="day",
        partition_value=day,
        **kwargs,
    )
    return op.execute(context={})


def events_checksum(conn):
    return table_checksum(conn, "events", "event_id")


def test_load_equals_generator_truth(warehouse, tmp_path: Path) -> None:
    result = load(landing_file(tmp_path, generate_events(DAY)))
    expected = expected_events(DAY)
    assert fetch_dicts(warehouse, "SELECT * FROM events ORDER BY event_id") == expected
    assert result == {"rows_in": len(generate_events(DAY)), "inserted": len(expected), "updated": 0}


def test_upsert_twice_gives_an_identical_table(warehouse, tmp_path: Path) -> None:
    path = landing_file(tmp_path, generate_events(DAY))
    load(path)
    first = events_checksum(warehouse)
    again = load(path)
    assert events_checksum(warehouse) == first
    assert again["inserted"] == 0


def test_days_do_not_interfere(warehouse, tmp_path: Path) -> None:
    load(landing_file(tmp_path, generate_events("2024-01-02"), "2024-01-02.json"), day="2024-01-02")
    load(landing_file(tmp_path, generate_events(DAY)))
    rows = fetch_dicts(warehouse, "SELECT * FROM events WHERE day = %(d)s ORDER BY event_id", {"d": "2024-01-02"})
    assert rows == expected_events("2024-01-02")


def _event(version: int, amount: float, updated_at: str = "2024-01-03T10:00:00Z") -> dict:
    return {
        "event_id": "e-1",
        "user": "user_01",
        "event_type": "purchase",
        "occurred_at": "2024-01-03T09:00:00Z",
        "amount": amount,
        "date": DAY,
        "version": version,
        "updated_at": updated_at,
    }


def amount_of_e1(conn):
    return fetch_dicts(conn, "SELECT amount, version FROM events WHERE event_id = 'e-1'")


def test_within_a_batch_the_newest_version_wins_wherever_it_is(warehouse, tmp_path: Path) -> None:
    batch = [_event(3, 30.0, "2024-01-05T00:00:00Z"), _event(1, 10.0), _event(2, 20.0, "2024-01-04T00:00:00Z")]
    load(landing_file(tmp_path, batch))
    assert [(str(r["amount"]), r["version"]) for r in amount_of_e1(warehouse)] == [("30.00", 3)]


def test_same_version_with_different_contents_is_refused(warehouse, tmp_path: Path) -> None:
    # Two truths for one version: no winner, so the batch fails and the table is untouched
    # (exact duplicates, by contrast, collapse silently: see the generator's feed).
    load(landing_file(tmp_path, [_event(1, 10.0)], "good.json"))
    with pytest.raises(AirflowFailException, match="conflicting duplicate.*differs in amount"):
        load(landing_file(tmp_path, [_event(1, 10.0), _event(1, 11.0)]))
    assert str(amount_of_e1(warehouse)[0]["amount"]) == "10.00"


def test_an_older_version_never_replaces_a_newer_one(warehouse, tmp_path: Path) -> None:
    load(landing_file(tmp_path, [_event(2, 20.0, "2024-01-04T00:00:00Z")], "new.json"))
    result = load(landing_file(tmp_path, [_event(1, 10.0)], "old.json"))
    assert result["updated"] == 0
    assert [(str(r["amount"]), r["version"]) for r in amount_of_e1(warehouse)] == [("20.00", 2)]
    load(landing_file(tmp_path, [_event(3, 30.0, "2024-01-06T00:00:00Z")], "newer.json"))
    assert amount_of_e1(warehouse)[0]["version"] == 3


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("missing_fields", "missing field 'user'"),
        ("wrong_types", "wrong type in field 'amount'"),
        ("null_keys", "null key 'event_id'"),
        ("out_of_range", "row outside partition date=2024-01-03"),
    ],
)
def test_bad_input_fails_without_touching_the_table(warehouse, tmp_path: Path, fault: str, message: str) -> None:
    load(landing_file(tmp_path, generate_events(DAY), "good.json"))
    before = events_checksum(warehouse)
    bad = landing_file(tmp_path, damage_events(fault, generate_events(DAY)))
    with pytest.raises(AirflowFailException, match="failed validation") as info:
        load(bad)
    assert message in str(info.value) and bad in str(info.value)
    assert events_checksum(warehouse) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"event_id": "x",,]', "is not valid JSON"),
        ('{"events": []}', "must hold a JSON list"),
    ],
)
def test_unreadable_file_fails(warehouse, tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / f"{DAY}.json"
    path.write_text(content)
    with pytest.raises(AirflowFailException, match=message):
        load(str(path))


def test_missing_file_fails(warehouse, tmp_path: Path) -> None:
    with pytest.raises(AirflowFailException, match="does not exist"):
        load(str(tmp_path / "nope.json"))


def test_database_rejection_is_not_retried_and_rolls_back(warehouse, tmp_path: Path) -> None:
    load(landing_file(tmp_path, generate_events(DAY), "good.json"))
    before = events_checksum(warehouse)
    events = generate_events(DAY)
    events[-1]["amount"] = 1e12  # valid JSON number, too large for numeric(12,2)
    with pytest.raises(AirflowFailException, match="the database rejected the batch"):
        load(landing_file(tmp_path, events))
    assert events_checksum(warehouse) == before


def test_empty_file_is_a_no_op(warehouse, tmp_path: Path) -> None:
    assert load(landing_file(tmp_path, [])) == {"rows_in": 0, "inserted": 0, "updated": 0}


def test_csv_landing_file(warehouse, tmp_path: Path) -> None:
    path = tmp_path / f"{DAY}.csv"
    events = generate_events(DAY)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(events[0]))
        writer.writeheader()
        writer.writerows(events)
    load(str(path))
    assert fetch_dicts(warehouse, "SELECT * FROM events ORDER BY event_id") == expected_events(DAY)


def test_template_fields_are_the_arguments() -> None:
    assert set(PostgresUpsertOperator.template_fields) == {"source_path", "table", "partition_value"}


def test_arguments_are_checked_at_definition_time() -> None:
    with pytest.raises(ValueError, match="not among the fields"):
        PostgresUpsertOperator(task_id="t", source_path="x.json", table="events", fields=EVENT_FIELDS, key="nope")
    with pytest.raises(ValueError, match="partition_column and partition_value"):
        PostgresUpsertOperator(
            task_id="t", source_path="x.json", table="events", fields=EVENT_FIELDS, key="event_id", partition_column="day"
        )


def test_generated_sql_quotes_identifiers(pg_conn) -> None:
    _, upsert = build_upsert_sql('odd"name', ["id", "select"], ["id"], ["select"])
    text = upsert.as_string(pg_conn)
    assert '"odd""name"' in text and '"select"' in text
    assert "DISTINCT ON" in text and "ON CONFLICT" in text
