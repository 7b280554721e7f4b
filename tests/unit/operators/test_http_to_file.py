"""HttpToFileOperator against the events server running in a thread."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airkit.events.generator import generate_events
from airkit.operators.http_to_file import HttpToFileOperator

DAY = {"start_date": "2024-01-03", "end_date": "2024-01-04"}


def fetch(out: Path, timeout: float | None = 10, endpoint: str = "/events", conn_id: str = "events_api",
          **params) -> dict:
    op = HttpToFileOperator(
        task_id="fetch_events", http_conn_id=conn_id, endpoint=endpoint, data={**DAY, **params},
        output_path=str(out), timeout=timeout,
    )
    return op.execute(context={})


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "events" / "2024-01-03.json"


def test_the_connection_must_be_named(out: Path) -> None:
    # No default: a task that forgot it would otherwise fetch the demo source's data.
    # Airflow's operator metaclass reports the missing argument before __init__ runs, as an
    # AirflowException on Airflow 2 and a TypeError on Airflow 3.
    with pytest.raises((AirflowException, TypeError), match="missing keyword argument 'http_conn_id'"):
        HttpToFileOperator(task_id="fetch", endpoint="/events", output_path=str(out))


def test_fetches_from_the_named_connection(events_api, events_server, monkeypatch: pytest.MonkeyPatch,
                                           out: Path) -> None:
    # Two sources: the demo one (events_api) has the day's events, the other one none.
    monkeypatch.setenv("AIRFLOW_CONN_OTHER_SOURCE", events_server(fault="empty"))
    assert fetch(out, conn_id="other_source")["records"] == 0
    assert json.loads(out.read_text()) == []


def test_writes_the_reply_to_the_landing_file(events_api, out: Path) -> None:
    result = fetch(out)
    assert json.loads(out.read_text()) == generate_events("2024-01-03")
    assert result == {"path": str(out), "records": len(generate_events("2024-01-03"))}


def test_rerun_overwrites_and_leaves_no_temp_files(events_api, out: Path) -> None:
    out.parent.mkdir(parents=True)
    out.write_text("stale content from an earlier run")
    fetch(out)
    fetch(out)
    assert json.loads(out.read_text()) == generate_events("2024-01-03")
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, AirflowException) and not isinstance(exc, AirflowFailException)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fault": "http500"}, "HTTP 500 (will retry)"),
        ({"fault": "truncated"}, "transfer failed (will retry)"),
        ({"fault": "slow", "delay": "3", "timeout": 0.5}, "no reply within 0.5 s"),
    ],
    ids=["http500", "truncated", "timeout"],
)
def test_transient_faults_are_retried_and_keep_the_old_file(events_api, out: Path, params: dict, message: str) -> None:
    out.parent.mkdir(parents=True)
    out.write_text("[]")
    timeout = params.pop("timeout", 10)
    with pytest.raises(AirflowException, match=re.escape(message)) as info:
        fetch(out, timeout=timeout, **params)
    assert _is_retryable(info.value)
    assert out.read_text() == "[]"


def test_a_transient_500_then_success(events_api, out: Path) -> None:
    with pytest.raises(AirflowException):
        fetch(out, fault="http500", fault_times="1")
    assert fetch(out, fault="http500", fault_times="1")["records"] > 0


@pytest.mark.parametrize(
    ("endpoint", "params", "message"),
    [
        ("/events", {"fault": "malformed"}, "malformed JSON in the reply"),
        ("/health", {}, "expected a JSON list of records, got a JSON dict"),
        ("/events", {"start_date": "not-a-date"}, "HTTP 400, the request was rejected"),
    ],
    ids=["malformed", "not-a-list", "http400"],
)
def test_bad_replies_fail_without_retry(events_api, out: Path, endpoint: str, params: dict, message: str) -> None:
    with pytest.raises(AirflowFailException, match=message):
        fetch(out, endpoint=endpoint, **params)
    assert not out.exists()


def test_empty_day_is_a_valid_reply(events_api, out: Path) -> None:
    assert fetch(out, fault="empty")["records"] == 0
    assert out.read_text() == "[]"


def test_connection_refused_is_retried(monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        unused_port = s.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_EVENTS_API", f"http://127.0.0.1:{unused_port}")
    with pytest.raises(AirflowException, match="will retry") as info:
        fetch(out)
    assert _is_retryable(info.value)
