from __future__ import annotations

import json
import time

import pytest
import requests

from airkit.events.generator import generate_range
from airkit.events.server import FAULTS, main

DAY = {"start_date": "2024-01-03", "end_date": "2024-01-04"}


def get(url: str, path: str = "/events", **params) -> requests.Response:
    return requests.get(f"{url}{path}", params=params, timeout=10)


@pytest.fixture
def url(events_server) -> str:
    return events_server()


def test_health(url: str) -> None:
    r = get(url, "/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_events_for_a_range(url: str) -> None:
    r = get(url, start_date="2024-01-01", end_date="2024-01-03")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == generate_range("2024-01-01", "2024-01-03")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "missing query parameter 'start_date'"),
        ({"start_date": "2024-01-01"}, "missing query parameter 'end_date'"),
        ({"start_date": "2024-13-01", "end_date": "2024-01-02"}, "'start_date' must be a date"),
        ({"start_date": "2024-01-02", "end_date": "2024-01-02"}, "must be after"),
        ({"start_date": "2020-01-01", "end_date": "2024-01-02"}, "date range too long"),
        ({**DAY, "fault": "gremlins"}, "unknown fault 'gremlins'"),
        ({**DAY, "fault": "slow", "delay": "soon"}, "'delay' must be a number"),
    ],
)
def test_bad_parameters_are_400_with_a_message(url: str, params: dict, message: str) -> None:
    r = get(url, **params)
    assert r.status_code == 400
    assert message in r.json()["error"]


def test_unknown_path_is_404(url: str) -> None:
    assert get(url, "/nope").status_code == 404


def test_fault_http500(url: str) -> None:
    r = get(url, **DAY, fault="http500")
    assert r.status_code == 500 and "http500" in r.json()["error"]


def test_fault_malformed(url: str) -> None:
    r = get(url, **DAY, fault="malformed")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        json.loads(r.content)


def test_fault_slow(url: str) -> None:
    started = time.monotonic()
    r = get(url, **DAY, fault="slow", delay="0.4")
    assert time.monotonic() - started >= 0.4
    assert r.json() == generate_range(**DAY)


def test_fault_truncated_breaks_the_transfer(url: str) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(url, **DAY, fault="truncated")


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("missing_fields", lambda e: "user" not in e),
        ("wrong_types", lambda e: isinstance(e["amount"], str) and isinstance(e["version"], str)),
        ("null_keys", lambda e: e["event_id"] is None),
        ("out_of_range", lambda e: e["date"] == "2024-01-02"),
    ],
)
def test_payload_faults_damage_some_events(url: str, fault: str, check) -> None:
    events = get(url, **DAY, fault=fault).json()
    damaged = [e for e in events if check(e)]
    assert 0 < len(damaged) < len(events)
    assert len(events) == len(generate_range(**DAY))


def test_fault_empty(url: str) -> None:
    assert get(url, **DAY, fault="empty").json() == []


def test_every_fault_is_accepted(url: str) -> None:
    for fault in FAULTS:
        if fault in ("slow", "truncated"):
            continue
        assert get(url, **DAY, fault=fault).status_code in (200, 500)


def test_fault_times_makes_a_fault_transient_per_range(url: str) -> None:
    other = {"start_date": "2024-01-05", "end_date": "2024-01-06"}
    statuses = [get(url, **DAY, fault="http500", fault_times="2").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    # The count is per (fault, range): another range has its own.
    assert get(url, **other, fault="http500", fault_times="2").status_code == 500


def test_faults_armed_at_run_time(url: str) -> None:
    r = requests.post(f"{url}/faults", params={**DAY, "fault": "http500", "times": "1"}, timeout=5)
    assert r.status_code == 200
    assert get(url, start_date="2024-01-05", end_date="2024-01-06").status_code == 200  # other range
    assert [get(url, **DAY).status_code for _ in range(2)] == [500, 200]
    requests.post(f"{url}/faults", params={"fault": "empty"}, timeout=5)  # any range, until disarmed
    assert get(url, **DAY).json() == []
    assert len(requests.get(f"{url}/faults", timeout=5).json()["armed"]) == 2
    requests.delete(f"{url}/faults", timeout=5)
    assert get(url, **DAY).json() == generate_range(**DAY)


def test_disarming_one_arming_keeps_the_others(url: str) -> None:
    other = {"start_date": "2024-01-05", "end_date": "2024-01-06"}
    mine = requests.post(f"{url}/faults", params={**DAY, "fault": "http500"}, timeout=5).json()["armed"]["id"]
    requests.post(f"{url}/faults", params={**other, "fault": "empty"}, timeout=5)
    left = requests.delete(f"{url}/faults", params={"id": mine}, timeout=5).json()["armed"]
    assert [a["fault"] for a in left] == ["empty"]
    assert get(url, **DAY).json() == generate_range(**DAY)
    assert get(url, **other).json() == []
    requests.delete(f"{url}/faults", timeout=5)


def test_arming_needs_a_known_fault(url: str) -> None:
    assert requests.post(f"{url}/faults", timeout=5).status_code == 400


def test_default_fault_from_config(events_server) -> None:
    url = events_server(fault="http500", fault_times=1)
    assert get(url, "/health").json()["default_fault"] == "http500"
    assert [get(url, **DAY).status_code for _ in range(2)] == [500, 200]
    # A request's own fault parameter overrides the default.
    assert get(url, **DAY, fault="empty").json() == []


def test_main_rejects_an_unknown_default_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENTS_API_FAULT", "gremlins")
    with pytest.raises(SystemExit):
        main(["--port", "0"])
