"""
### lesson_remote_queue: send a task to the workers of another machine

A Celery task goes to the queue its operator names (`queue="remote"`); only workers started
with that queue (`airflow celery worker --queues remote`, `WORKER_QUEUES=remote` in
compose/remote-worker.yaml) take it. The stack's own worker listens on `default` only, so
`load_on_remote` waits, queued, until a worker on queue `remote` joins (README: "Running
workers on more machines").

`load_on_remote` loads the day's rows in ONE transaction: delete the day, insert it again.
A worker that dies in the middle commits nothing. The scheduler fails the try once its
heartbeats stop and retries it on whatever worker serves `remote`; the retry writes the same
rows a clean run writes. Try it: trigger with `conf={"hold_first_try": 60}` (the first try
holds its transaction open a minute), stop the remote worker meanwhile, start it again.

It returns the host it ran on: the task instance's hostname is what that worker *advertises*
to the api-server for fetching logs (`AIRKIT_WORKER_ADVERTISE_HOST`), its own name is here.
"""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks

TABLE = "remote_queue_days"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    # A try lost with its worker is retried soon: the lesson's point is that it comes back.
    default_args=dag_defaults(retries=2, retry_delay=timedelta(seconds=2)),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:remote-workers"],
)
def lesson_remote_queue():
    @task(queue="remote")
    def load_on_remote(ds=None, dag_run=None, ti=None) -> dict:
        from airkit.hooks.warehouse import WarehouseHook, create_table_once

        hold = float((dag_run.conf or {}).get("hold_first_try", 0)) if ti.try_number == 1 else 0
        with WarehouseHook().transaction() as conn, conn.cursor() as cur:
            create_table_once(cur, TABLE, "day date NOT NULL, slot int NOT NULL, PRIMARY KEY (day, slot)")
            cur.execute(f"DELETE FROM {TABLE} WHERE day = %s", (ds,))
            time.sleep(hold)  # the transaction is open: a worker killed here commits nothing
            cur.executemany(f"INSERT INTO {TABLE} (day, slot) VALUES (%s, %s)", [(ds, n) for n in range(3)])
        return {"hostname": socket.gethostname()}

    load_on_remote()


lesson_remote_queue()
