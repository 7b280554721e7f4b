"""
### Kata 3: a task that dies half-way must not leave half a file (temp file + rename)

**Reference solution.** The report is written to a temporary file in the target's folder and
renamed over the target only when it is complete: `os.replace` is atomic within one file
system, so a reader sees the old file or the new one. A crash leaves the old file and a temp
file, which is removed. (`airkit.landing.write_atomic` does the same for bytes, with fsync.)
"""
from __future__ import annotations

import os
import tempfile

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
        # In the target's folder: a rename is atomic only within one file system.
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{ds}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                out.write("line,day\n")
                for number in range(LINES):
                    if number == crash_after:
                        raise RuntimeError(f"worker lost after {number} lines (simulated)")
                    out.write(f"{number},{ds}\n")
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise
        return target

    write_report()


kata_03_atomic_file()
