"""The upgrade check's live half on one Airflow line: an isolated stack of this venv's Airflow
loads the DAG folder and runs the chosen DAGs for fixed logical dates; what happened is written
down for ``report`` to compare with the other line. Run in that line's venv (a process imports
one Airflow): ``python -m airkit.upgrade.live SPEC_JSON OUT_JSON`` (``spec()`` makes the spec).

Dates are taken in turn: every chosen DAG runs for the date (a manual run with that logical
date), then each asset-scheduled DAG whose assets those runs updated gets its run, so a consumer
run always answers one date's producers on both lines. Per run: final state, each task's state,
try count, return value and error; after each date, checksums of the named tables' rows of that
date and the day before (what a daily run for the date processes on either line).
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.stack import project
from airkit.stack.api import FINISHED, AirflowAPI, RunFailed
from airkit.stack.isolated import isolated_stack
from airkit.testing import tables as table_snapshots
from airkit.upgrade.static import isolated_airflow_env

RUN_ID_PREFIX = "upgrade_check__"
#: Lines of a failed task's log kept for the report (its error and the hints matched on it).
LOG_TAIL = 40
#: Rows kept per table snapshot in the JSON: enough to show the first differing rows.
ROWS_KEPT = 2000
#: A plain SQL name: a table's date column goes into the snapshot's WHERE as a quoted name.
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_table(entry: str) -> str:
    """`entry` (TABLE, SCHEMA.TABLE or TABLE:DATE_COLUMN) if it names plain SQL names, else ValueError."""
    table, _, column = entry.partition(":")
    if not all(NAME.match(part) for part in table.split(".")) or (column and not NAME.match(column)):
        raise ValueError(f"{entry!r}: expected TABLE, SCHEMA.TABLE or TABLE:DATE_COLUMN")
    return entry


def spec(dags_dir: Path, dates: list[str], loaded: list[str], *, dag_ids: list[str] | None = None, tables: list[str] = (),
         line_defaults: list[str] = (), runtime: str = "local", state: Path, run_timeout: float = 600) -> dict:
    """What one line's live check is asked to do (the JSON handed to each line's process).
    `loaded`: the DAG ids this line's parse found (the static half's), waited for on its stack.
    Bad input raises here, before any stack starts."""
    for entry in tables:
        check_table(entry)
    for day in dates:
        dt.date.fromisoformat(day)
    return {"dags_dir": str(dags_dir), "dates": list(dates), "loaded": sorted(loaded), "dag_ids": dag_ids, "tables": list(tables),
            "line_defaults": list(line_defaults), "runtime": runtime, "state": str(state),
            "run_timeout": run_timeout}


_STARTED = time.monotonic()


def _say(text: str) -> None:
    print(f"upgrade-check: [{time.monotonic() - _STARTED:5.0f}s] {text}", file=sys.stderr, flush=True)


# --- one run -------------------------------------------------------------------------------------
def _xcom(api: AirflowAPI, dag_id: str, run_id: str, task_id: str) -> Any:
    try:
        return api.xcom(dag_id, run_id, task_id)
    except AssertionError:  # no return value
        return None


def _log_tail(api: AirflowAPI, dag_id: str, run_id: str, task_id: str, tries: int) -> list[str]:
    try:
        log = api.task_log(dag_id, run_id, task_id, max(tries, 1))
    except AssertionError as exc:
        return [str(exc)]
    return [line for line in log.splitlines() if line.strip()][-LOG_TAIL:]


#: What differs between the lines' stacks by construction, not by Airflow: a return value that
#: names a file of the stack's state or a venv reads alike on both once these are masked.
_TEMP_VENV = re.compile(r"/venv[a-z0-9_]{8}(?=/)")  # tempfile.mkdtemp(prefix="venv"): a virtualenv task's
_LINE_VENV = re.compile(r"\.venv-airflow[0-9]+")


def masked(value: Any, state: str) -> Any:
    """`value` with the stack's state folder, the line's venv and temporary venvs named alike."""
    text = json.dumps(value, default=str).replace(state, "<stack>")
    return json.loads(_LINE_VENV.sub(".venv-airflow<line>", _TEMP_VENV.sub("/venv<temp>", text)))


def record(api: AirflowAPI, dag_id: str, run_id: str, finished: bool, state: str) -> dict:
    """The run as the report compares it."""
    run = api.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
    tasks = {}
    for task_id, ti in sorted(api.task_instances(dag_id, run_id).items()):
        task = {"state": ti["state"], "tries": ti["try_number"]}
        if ti["state"] == "success":
            task["return_value"] = masked(_xcom(api, dag_id, run_id, task_id), state)
        elif ti["state"] in ("failed", "up_for_retry"):
            task["log_tail"] = _log_tail(api, dag_id, run_id, task_id, ti["try_number"])
        tasks[task_id] = task
    return {"run_id": run_id, "run_type": run["run_type"], "state": run["state"] if finished else "not finished",
            "seconds": _seconds(run), "tasks": tasks}


def _seconds(run: dict) -> float | None:
    if not (run.get("start_date") and run.get("end_date")):
        return None
    start, end = (dt.datetime.fromisoformat(run[k]) for k in ("start_date", "end_date"))
    return round((end - start).total_seconds(), 1)


def _retire_scheduled(api: AirflowAPI, dag_id: str) -> int:
    """Unpausing a DAG lets the scheduler start its latest scheduled run (or a catch-up): not the
    check's run, so it is failed at once -- it would hold the DAG's active-run slots (our run
    queued behind it) and wait on today's data. Failing, unlike success, emits no asset event."""
    retired = 0
    for run in api.call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})["dag_runs"]:
        if run["run_type"] in ("scheduled", "backfill") and run["state"] in ("queued", "running"):
            api.call("PATCH", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}", json={"state": "failed"})
            retired += 1
    return retired


def _wait_all(api: AirflowAPI, dag_ids: list[str], run_id: str, timeout: float) -> dict[str, bool]:
    """dag_id -> whether its run `run_id` finished within `timeout` (polled, bounded)."""
    def unfinished() -> list[str]:
        left = []
        for dag_id in dag_ids:
            _retire_scheduled(api, dag_id)
            if api.run_state(dag_id, run_id) not in FINISHED:
                left.append(dag_id)
        return left

    left = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2), retry=retry_if_result(bool),
                    retry_error_callback=lambda state: state.outcome.result())(unfinished)
    return {dag_id: dag_id not in left for dag_id in dag_ids}


def _wait(api: AirflowAPI, dag_id: str, run_id: str, timeout: float) -> bool:
    try:
        api.wait_for_run(dag_id, run_id, timeout=timeout, expect=None)
        return True
    except RunFailed:
        return False


# --- one date --------------------------------------------------------------------------------------
def _asset_runs(api: AirflowAPI, dag_id: str) -> list[dict]:
    body = api.call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})
    return [r for r in body["dag_runs"] if r["run_type"] in ("asset_triggered", "dataset_triggered")]


def _consumer_runs(api: AirflowAPI, due: list[str], run_id: str, timeout: float) -> dict[str, list[str]]:
    """Each due consumer's runs that consumed an event of the check's `run_id`, once each has
    one (bounded). A run of another producer's events (a scheduled run the check failed had
    already emitted one) is not the check's."""
    answered: dict[str, set[str]] = {c: set() for c in due}
    looked_at: set[tuple[str, str]] = set()

    def new() -> dict[str, list[str]]:
        for consumer in due:
            for run in _asset_runs(api, consumer):
                key = (consumer, run["dag_run_id"])
                if key not in looked_at:
                    looked_at.add(key)
                    if run_id in api.upstream_runs(*key):
                        answered[consumer].add(run["dag_run_id"])
        return {c: sorted(runs) for c, runs in answered.items()}

    return Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2), retry=retry_if_result(
        lambda runs: not all(runs.values())), retry_error_callback=lambda state: state.outcome.result())(new)


def _start(api: AirflowAPI, dag_ids: list[str], day: str, run_id: str) -> None:
    """The runs first, while their DAGs are paused; then each DAG unpaused, and the scheduled
    run that unpausing starts failed as soon as it shows (`_retire_scheduled`), before it gets
    to emit an asset event of its own."""
    for dag_id in dag_ids:
        api.call("POST", f"/dags/{dag_id}/dagRuns", json={
            "dag_run_id": run_id, "logical_date": f"{day}T00:00:00+00:00", "conf": {}})
    for dag_id in dag_ids:
        due = _next_run_due(api.call("GET", f"/dags/{dag_id}"))
        api.unpause(dag_id)
        if due:
            Retrying(stop=stop_after_delay(30), wait=wait_fixed(0.5), retry=retry_if_result(lambda n: n == 0),
                     retry_error_callback=lambda state: 0)(_retire_scheduled, api, dag_id)


def _next_run_due(dag: dict) -> bool:
    """Whether the scheduler creates a scheduled run the moment the DAG is unpaused."""
    after = dag.get("next_dagrun_run_after") or dag.get("next_dagrun_create_after")  # 3.x, 2.x
    return bool(after) and dt.datetime.fromisoformat(after) <= dt.datetime.now(dt.UTC)


def run_date(api: AirflowAPI, day: str, dag_ids: list[str], consumers: list[str], timeout: float,
             state: str) -> dict[str, dict]:
    """Every DAG in `dag_ids` for `day`, then the consumers their asset events call for."""
    run_id = f"{RUN_ID_PREFIX}{day}"
    _start(api, dag_ids, day, run_id)
    deadline = time.monotonic() + timeout
    finished = _wait_all(api, dag_ids, run_id, timeout)
    for dag_id in dag_ids:  # no scheduled runs of its own between the dates
        api.pause(dag_id)
    runs = {f"{d} {day}": record(api, d, run_id, finished[d], state) for d in dag_ids}
    updated = set().union(*(api.asset_events_of(d, run_id) for d in dag_ids))
    schedule_of = _schedules(api, consumers)
    due = [c for c in consumers if schedule_of[c] and schedule_of[c] <= updated]
    if due:
        _say(f"{day}: waiting for {', '.join(due)} (asset-triggered)")
    return {**runs, **_consumer_records(api, day, due, run_id, deadline, state)}


def _consumer_records(api: AirflowAPI, day: str, due: list[str], run_id: str, deadline: float,
                      state: str) -> dict[str, dict]:
    """The due consumers' runs of this date, keyed like the producers' ("no run" when none came)."""
    records = {}
    for consumer, new_runs in _consumer_runs(api, due, run_id, timeout=120).items():
        if not new_runs:
            records[f"{consumer} {day}"] = {"run_id": None, "state": "no run", "tasks": {}, "seconds": None,
                                            "run_type": "asset_triggered"}
        for i, consumer_run in enumerate(new_runs):
            done = _wait(api, consumer, consumer_run, max(deadline - time.monotonic(), 5))
            records[f"{consumer} {day}" + (f" #{i + 1}" if i else "")] = record(api, consumer, consumer_run, done, state)
    return records


def _schedules(api: AirflowAPI, consumers: list[str]) -> dict[str, set[str]]:
    """Consumer -> the asset URIs it is scheduled on."""
    by_asset = api.asset_consumers()
    return {c: {uri for uri, dags in by_asset.items() if c in dags} for c in consumers}


# --- tables --------------------------------------------------------------------------------------
def snapshot_tables(stack, entries: list[str], day: str) -> dict[str, dict]:
    """Per `table[:date_column]`: count, checksum and rows; with a column, only the rows of `day`
    and the day before."""
    out = {}
    with stack.warehouse() as conn:
        for entry in entries:
            table, _, column = entry.partition(":")
            where = f'"{column}"::date BETWEEN %(day)s::date - 1 AND %(day)s::date' if column else None
            try:
                snap = table_snapshots.snapshot(conn, table, where, {"day": day})
            except Exception as exc:  # noqa: BLE001 - e.g. a table one line never created
                conn.rollback()
                out[entry] = {"error": str(exc).strip().splitlines()[0]}
                continue
            out[entry] = {"count": snap.count, "digest": snap.digest, "rows": list(snap.rows[:ROWS_KEPT])}
    return out


# --- the whole check on this line ----------------------------------------------------------------------
def observe(stack, job: dict) -> dict:
    """Run the job's DAGs on the started stack, date by date."""
    api = stack.api
    loaded = job["loaded"]
    for dag_id in loaded:
        api.wait_for_dag(dag_id)
    # Every consumer: one runs only when a chosen DAG updates its assets.
    consumers = sorted(set().union(*api.asset_consumers().values()) & set(loaded))
    chosen = job["dag_ids"] or loaded
    producers = [d for d in chosen if d in loaded and d not in consumers]
    for consumer in consumers:
        api.unpause(consumer)
    dates = {}
    for day in job["dates"]:
        _say(f"{day}: running {len(producers)} DAGs")
        dates[day] = {"runs": run_date(api, day, producers, consumers, job["run_timeout"], job["state"]),
                      "tables": snapshot_tables(stack, job["tables"], day)}
        _say(f"{day}: done")
    return {"airflow": api.call("GET", "/version")["version"], "loaded": loaded,
            "not_loaded": sorted(set(chosen) - set(loaded)), "dates": dates}


def run(job: dict) -> dict:
    state = Path(job["state"])
    _clear(job, state)
    stack = isolated_stack(job["runtime"], state, Path(job["dags_dir"]), dict.fromkeys(job["line_defaults"]))
    _say(f"starting an isolated {job['runtime']} stack in {job['state']}")
    try:
        stack.start(600)
        return observe(stack, job)
    finally:
        stack.stop(remove_state=True)
        shutil.rmtree(state, ignore_errors=True)


def _clear(job: dict, state: Path) -> None:
    """What an earlier check left in `state`: its env file would be reused, with that check's
    settings (another --line-default), and a killed check's stack may still be running."""
    if (state / ".env").exists():
        isolated_stack(job["runtime"], state, Path(job["dags_dir"])).stop(remove_state=True)
    shutil.rmtree(state, ignore_errors=True)


def run_on(major: int, job: dict, out: Path) -> dict:
    """Line `major`'s live check, from any venv: its own venv runs it; progress on stderr."""
    job_file = out.with_suffix(".job.json")
    job_file.write_text(json.dumps(job))
    with tempfile.TemporaryDirectory() as home:
        result = subprocess.run([str(project.venv_python(major)), "-m", "airkit.upgrade.live", str(job_file), str(out)],
                                env=isolated_airflow_env(home), check=False)
    if result.returncode != 0:
        raise RuntimeError(f"the live check on Airflow {major} failed ({result.returncode}): see its output above")
    return json.loads(out.read_text())


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m airkit.upgrade.live SPEC_JSON OUT_JSON", file=sys.stderr)
        return 2
    # A stopped check (SIGTERM, as from a CI timeout) still stops its stack: `run`'s finally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    result = run(json.loads(Path(argv[1]).read_text()))
    Path(argv[2]).write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
