"""
### Kata 6: no work when the file is parsed (top-level code)

**Lesson: the DAG directory is parsed all the time.** Seed: *Airflow 2.7 architecture and
practices*, "DAG directory" (the scheduler parses the folder periodically to find the DAGs).
The project's lesson: every DAG in `dags/` (no I/O at import; `events_etl` even imports pandas
inside its task).

This file asks the events source for its status when it is *imported*: the DAG processor does
that every 30 s, on every processor, whether or not the DAG runs. The source gets a request
per parse, every parse waits for the reply, a source that is down makes the whole DAG
disappear with an import error, and the task reports the status of the last parse, not of
its run.

**Your job:** do the call when the task runs. Check with `make kata N=6`.
"""
from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task
from airflow.providers.http.hooks.http import HttpHook

from airkit import dag_defaults

SOURCE_STATUS = HttpHook(method="GET", http_conn_id="events_api").run("/health").json()


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=0),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_06_parse_time():
    @task
    def check_source() -> dict:
        return SOURCE_STATUS

    check_source()


kata_06_parse_time()
