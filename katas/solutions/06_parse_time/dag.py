"""
### Kata 6: no work when the file is parsed (top-level code)

**Reference solution.** The call moved into the task: it happens once per run, when the run
needs it, and its answer is the source's status now. Importing the file only builds the DAG.
The hook's module is imported inside the task too, as `events_etl` does with pandas: parsing
stays cheap.
"""
from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults


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
        from airflow.providers.http.hooks.http import HttpHook

        return HttpHook(method="GET", http_conn_id="events_api").run("/health").json()

    check_source()


kata_06_parse_time()
