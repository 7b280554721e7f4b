"""Bad input from the source: a clear error naming the problem, and no partial data.

All cases run as ONE batch (a module fixture): every day gets its fault armed, its warehouse
rows seeded with a correct load and its landing file with a correct earlier fetch; then all
runs are triggered at once and waited for together (~15 s of work each, three at a time).
A DAG file with a syntax error sits in dags/ meanwhile. Each case is then its own test.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.events.generator import generate_events
from airkit.events.server import damage_events
from tests.integration.checks import assert_day_matches_generator, warehouse_fingerprint
from tests.integration.faults.faultkit import DAG_ID, delete_days, seed_days, trigger_all, wait_all

pytestmark = pytest.mark.integration

# Named so nobody mistakes it for a DAG; dags/*__test_artifact.py is gitignored.
BROKEN_DAG_NAME = "zz_broken_syntax__test_artifact.py"


@dataclass(frozen=True)
class Case:
    fault: str
    task: str  # the task that must fail (or be skipped)
    try_number: int  # its final try
    message: str  # must appear in that try's log ({day}: the case's logical date)
    landing: str  # "kept": the earlier landing file is untouched; "replaced": whole new file


CASES = {
    c.fault: c
    for c in [
        Case("malformed", "fetch_events", 1, "malformed JSON", "kept"),
        Case("truncated", "fetch_events", 3, "transfer failed", "kept"),
        Case("http500", "fetch_events", 3, "HTTP 500", "kept"),
        Case("oversized", "fetch_events", 1, "larger than the limit", "kept"),
        Case("wrong_types", "load_events", 1, "wrong type in field 'amount'", "replaced"),
        Case("missing_fields", "load_events", 1, "missing field 'user'", "replaced"),
        Case("null_keys", "load_events", 1, "null key 'event_id'", "replaced"),
        Case("out_of_range", "load_events", 1, "row outside partition date={day}", "replaced"),
        Case("conflicting", "load_events", 1, "conflicting duplicate", "replaced"),
        Case("empty", "fetch_events", 1, "the source has no records", "kept"),
    ]
}
# Times out once (the operator waits 30 s by default), then the retry gets the data.
TIMEOUT = "timeout"


def run_id(day: str) -> str:
    return f"bad_input_{day}"


def landing(day: str) -> str:
    return f"events/{day}.json"


def import_error_for(airflow_stack, name: str) -> list[dict]:
    return [e for e in airflow_stack.api.import_errors() if Path(e["filename"]).name == name]


@pytest.fixture(scope="module")
def batch(airflow_stack, events_api, unique_logical_date):
    airflow_stack.api.wait_for_dag(DAG_ID)
    day_of = {fault: unique_logical_date() for fault in [*CASES, TIMEOUT]}
    bad_days = [day_of[fault] for fault in CASES]
    seed_days(airflow_stack, bad_days)
    delete_days(airflow_stack, [day_of[TIMEOUT]])
    earlier = {}
    for day in bad_days:
        earlier[day] = json.dumps(generate_events(day))
        airflow_stack.write_data_file(landing(day), earlier[day])
    with airflow_stack.warehouse() as conn:
        before = {day: warehouse_fingerprint(conn, [day]) for day in bad_days}
    events_api.disarm()
    for fault in CASES:
        events_api.arm(fault, day=day_of[fault])
    events_api.arm("slow", day=day_of[TIMEOUT], times=1, delay=40)

    result = {"before": before, "earlier": earlier, "day_of": day_of}
    broken_dag = airflow_stack.dags_folder / BROKEN_DAG_NAME
    started = time.monotonic()
    try:
        broken_dag.write_text("# Written and removed by tests/integration/faults/test_bad_input.py.\n"
                              "from airflow import DAG\n\ndef broken(:\n")
        trigger_all(airflow_stack, {run_id(day): day for day in day_of.values()})
        try:
            result["import_errors"] = Retrying(
                stop=stop_after_delay(240), wait=wait_fixed(3), retry=retry_if_result(lambda e: not e)
            )(import_error_for, airflow_stack, BROKEN_DAG_NAME)
        except Exception:  # noqa: BLE001 - tenacity.RetryError: reported by the test
            result["import_errors"] = []
    finally:
        broken_dag.unlink(missing_ok=True)
    result["states"] = wait_all(airflow_stack, [run_id(d) for d in day_of.values()], timeout=900)
    result["seconds"] = time.monotonic() - started
    print(f"bad-input batch: {len(result['states'])} runs in {result['seconds']:.0f}s")
    return result


@pytest.mark.parametrize("fault", list(CASES))
def test_bad_input_is_named_and_leaves_no_partial_data(airflow_stack, batch, fault):
    case = CASES[fault]
    day = batch["day_of"][fault]
    rid = run_id(day)
    tis = airflow_stack.api.task_instances(DAG_ID, rid)
    ti = tis[case.task]
    if fault == "empty":
        assert batch["states"][rid] == "success", airflow_stack.api.report(DAG_ID, rid)
        assert {t: tis[t]["state"] for t in ("fetch_events", "load_events", "calculate_stats", "send_stats")} == {
            "fetch_events": "skipped", "load_events": "skipped", "calculate_stats": "skipped", "send_stats": "skipped"}
    else:
        assert batch["states"][rid] == "failed", airflow_stack.api.report(DAG_ID, rid)
        assert ti["state"] == "failed", airflow_stack.api.report(DAG_ID, rid)
        assert tis["calculate_stats"]["state"] == "upstream_failed"
    assert ti["try_number"] == case.try_number, f"{case.task} tries: {ti['try_number']}, expected {case.try_number}"
    log = airflow_stack.api.task_log(DAG_ID, rid, case.task, case.try_number)
    message = case.message.format(day=day)
    assert message in log, f"'{message}' not in the log of {case.task}:\n{log[-3000:]}"

    with airflow_stack.warehouse() as conn:
        assert warehouse_fingerprint(conn, [day]) == batch["before"][day], "the warehouse changed"
    text = airflow_stack.read_data_file(landing(day))
    if case.landing == "kept":
        assert text == batch["earlier"][day], "the earlier landing file was touched"
    else:
        # Atomically replaced: exactly what the source served, complete, never half a file.
        assert json.loads(text) == damage_events(fault, generate_events(day))


def test_a_source_timeout_is_retried_and_the_retry_loads_the_day(airflow_stack, batch):
    rid = run_id(batch["day_of"][TIMEOUT])
    assert batch["states"][rid] == "success", airflow_stack.api.report(DAG_ID, rid)
    fetch = airflow_stack.api.task_instances(DAG_ID, rid)["fetch_events"]
    assert fetch["try_number"] == 2
    assert "no reply within 30 s (will retry)" in airflow_stack.api.task_log(DAG_ID, rid, "fetch_events", 1)
    with airflow_stack.warehouse() as conn:
        assert_day_matches_generator(conn, batch["day_of"][TIMEOUT])


def test_a_broken_dag_file_is_reported_and_other_dags_still_run(airflow_stack, batch):
    assert not (airflow_stack.dags_folder / BROKEN_DAG_NAME).exists(), "the test artefact must be removed"
    errors = batch["import_errors"]
    assert errors, f"no import error for {BROKEN_DAG_NAME} within 240 s"
    assert "SyntaxError" in errors[0]["stack_trace"], errors[0]["stack_trace"]
    # events_etl kept working meanwhile: its timeout-day run succeeded during the same window.
    assert not airflow_stack.api.call("GET", f"/dags/{DAG_ID}")["has_import_errors"]
    assert batch["states"][run_id(batch["day_of"][TIMEOUT])] == "success"
    # Once the file is gone, the error goes too (next dags-folder listing).
    Retrying(stop=stop_after_delay(240), wait=wait_fixed(3), retry=retry_if_result(bool), reraise=True)(
        import_error_for, airflow_stack, BROKEN_DAG_NAME)
