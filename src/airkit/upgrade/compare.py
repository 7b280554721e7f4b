"""What differs between two lines' live runs of the same DAGs (``live`` wrote them down): per run,
its state, each task's state, tries and return value, a duration far outside the other line's;
per date, the named tables' checksums with the first differing rows.

A difference is (kind, text, line it belongs to or None, the DAG it belongs to or None); report
turns them into findings with hints.
"""
from __future__ import annotations

import json
from typing import Any, NamedTuple

from airkit.testing.tables import Snapshot

#: A run this many times slower (and by this many seconds) than on the other line is reported.
SLOWER_RATIO, SLOWER_SECONDS = 3.0, 60.0


class Difference(NamedTuple):
    kind: str
    text: str
    on: str | None = None
    dag_id: str | None = None
    log: tuple[str, ...] = ()


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


def _error(task: dict) -> str:
    """The last line of a failed task's log that names an exception."""
    lines = task.get("log_tail") or []
    named = [line for line in lines if "Error" in line or "Exception" in line or "Timeout" in line]
    return (named or lines or [""])[-1].strip()[-300:]


#: States of a task that never had a try. Which one a stopped run gives its unstarted tasks is a
#: race on Airflow 3 (a fail_fast stop against the trigger rule; lesson_fail_stop in CI), and
#: neither did any work: alike.
_NEVER_RAN = {"skipped", "upstream_failed"}


def _state(task: dict) -> str:
    return "not run" if task["state"] in _NEVER_RAN and not task["tries"] else task["state"]


def _tasks(key: str, dag_id: str, versions: tuple[str, str], a: dict, b: dict) -> list[Difference]:
    found = []
    for task_id in sorted(set(a) | set(b)):
        x, y = a.get(task_id), b.get(task_id)
        if x is None or y is None:
            only = versions[0] if y is None else versions[1]
            found.append(Difference("task", f"{key}: task {task_id} exists on {only} only", dag_id=dag_id))
            continue
        if _state(x) != _state(y):
            failed = x if x["state"] != "success" else y
            text = (f"{key}: task {task_id} {x['state']} on {versions[0]}, {y['state']} on {versions[1]}"
                    + (f": {_error(failed)}" if failed.get("log_tail") else ""))
            found.append(Difference("task state", text, dag_id=dag_id, log=tuple(failed.get("log_tail", ()))))
            continue
        if x["tries"] != y["tries"]:
            found.append(Difference("tries", f"{key}: task {task_id} took {x['tries']} tries on {versions[0]}, "
                                             f"{y['tries']} on {versions[1]}", dag_id=dag_id))
        if _shown(x.get("return_value")) != _shown(y.get("return_value")):
            found.append(Difference("return value", f"{key}: task {task_id} returned {_shown(x.get('return_value'))} "
                                                     f"on {versions[0]}, {_shown(y.get('return_value'))} on {versions[1]}",
                                    dag_id=dag_id))
    return found


def _durations(key: str, dag_id: str, versions: tuple[str, str], x: dict, y: dict) -> list[Difference]:
    a, b = x.get("seconds"), y.get("seconds")
    if not (a and b):
        return []
    slow, fast = max(a, b), min(a, b)
    if slow >= SLOWER_RATIO * fast and slow - fast >= SLOWER_SECONDS:
        return [Difference("duration", f"{key}: {a:.0f} s on {versions[0]}, {b:.0f} s on {versions[1]}", dag_id=dag_id)]
    return []


def runs(versions: tuple[str, str], old: dict, new: dict) -> list[Difference]:
    """Run by run, for every date both lines ran."""
    found = []
    for day in old["dates"]:
        a, b = old["dates"][day]["runs"], new["dates"].get(day, {}).get("runs", {})
        for key in sorted(set(a) | set(b)):
            dag_id = key.split(" ")[0]
            x, y = a.get(key), b.get(key)
            if x is None or y is None:
                only = versions[0] if y is None else versions[1]
                found.append(Difference("run", f"{key}: a run on {only} only", on=only, dag_id=dag_id))
                continue
            if x["state"] != y["state"]:
                found.append(Difference("run state", f"{key}: {x['state']} on {versions[0]}, {y['state']} on {versions[1]}",
                                        dag_id=dag_id))
            found += _tasks(key, dag_id, versions, x["tasks"], y["tasks"])
            found += _durations(key, dag_id, versions, x, y)
    return found


def tables(versions: tuple[str, str], old: dict, new: dict) -> list[Difference]:
    """Date by date, each named table's checksum; a difference shows its first differing rows."""
    found = []
    for day in old["dates"]:
        a, b = old["dates"][day]["tables"], new["dates"].get(day, {}).get("tables", {})
        for table in sorted(set(a) | set(b)):
            x, y = a.get(table, {}), b.get(table, {})
            if x.get("digest") == y.get("digest") and x.get("error") == y.get("error"):
                continue
            if x.get("error") or y.get("error"):
                text = f"{table} after {day}: {x.get('error') or 'readable'} on {versions[0]}, " \
                       f"{y.get('error') or 'readable'} on {versions[1]}"
            else:
                before, after = (Snapshot(table, s["count"], s["digest"], tuple(s["rows"])) for s in (x, y))
                text = f"after {day} ({versions[0]} → {versions[1]}): " + before.diff(after, limit=5)
            found.append(Difference("table", text))
    return found
