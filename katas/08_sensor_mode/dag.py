"""
### Kata 8: a waiting sensor must not hold a worker slot (reschedule)

**Lesson: sensors.** Seed: *Airflow 2.7 architecture and practices*, "Sensor" (`mode`: poke
holds the worker while it waits, reschedule gives it back between checks). The project's
lesson: `partner_file_sensor`.

`wait_for_ready_file` waits for `$AIRKIT_DATA_DIR/kata_08/<ds>.ready`. In the default `poke`
mode the sensor keeps its worker slot for the whole wait, sleeping between checks: a few
sensors waiting for a late partner take every slot, and nothing else runs.

**Your job:** let the sensor give its slot back between checks. Check with `make kata N=8`.
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
        timeout=timedelta(minutes=10).total_seconds(),
    )

    @task
    def process() -> str:
        return "the partner's file is there"

    wait_for_ready_file >> process()


kata_08_sensor_mode()
