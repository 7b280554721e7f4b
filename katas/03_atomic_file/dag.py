"""
### Kata 3: a task that dies half-way must not leave half a file (temp file + rename)

**Lesson: atomicity.** Seed: *Airflow task design*, "원자성" (atomicity: a task does all of its
work or none of it). The project's lesson: `events_etl`'s `fetch_events`
(`airkit.landing.write_atomic`).

`write_report` writes the day's report to `$AIRKIT_DATA_DIR/kata_03/<ds>.csv`, line by line,
straight into the target. When the worker dies half-way (trigger with conf
`{"crash_after": 500}` to simulate it), yesterday's complete report is gone and the next
reader gets a truncated one that looks valid.

**Your job:** make a reader see the old complete file or the new complete file, never a part.
Check with `make kata N=3`.
"""
from __future__ import annotations

import os

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults
from airkit.landing import data_dir

LINES = 1000


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=0),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_03_atomic_file():
    @task
    def write_report(ds: str | None = None, dag_run=None) -> str:
        crash_after = (dag_run.conf or {}).get("crash_after")
        target = os.path.join(data_dir(), "kata_03", f"{ds}.csv")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as out:
            out.write("line,day\n")
            for number in range(LINES):
                if number == crash_after:
                    raise RuntimeError(f"worker lost after {number} lines (simulated)")
                out.write(f"{number},{ds}\n")
        return target

    write_report()


kata_03_atomic_file()
