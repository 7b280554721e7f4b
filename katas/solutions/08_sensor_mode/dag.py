"""
### Kata 8: a waiting sensor must not hold a worker slot (reschedule)

**Reference solution.** `mode="reschedule"`: each check is a short task run, and between
checks the task waits as `up_for_reschedule` without a worker slot. (A deferrable sensor,
where one exists, waits in the triggerer instead: state `deferred`.) Keep `poke_interval` at a
minute or more in production: each check is a scheduled task run.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task
from airflow.providers.standard.sensors.filesystem import FileSensor

from airkit import dag_defaults


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(retries=0),
    doc_md=__doc__,
    tags=["domain:training", "kata"],
)
def kata_08_sensor_mode():
    wait_for_ready_file = FileSensor(
        task_id="wait_for_ready_file",
        fs_conn_id="landing_fs",
        filepath="kata_08/{{ ds }}.ready",
        poke_interval=3,
        mode="reschedule",
        timeout=timedelta(minutes=10).total_seconds(),
    )

    @task
    def process() -> str:
        return "the partner's file is there"

    wait_for_ready_file >> process()


kata_08_sensor_mode()
