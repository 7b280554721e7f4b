"""
### partner_file_sensor: wait for a file without holding a worker

A partner drops `landing/partner/<ds>.csv` (header row, one row per record) into the
landing folder some time during the day. `wait_for_partner_file` is a **FileSensor in
`mode="reschedule"`**: each check ("poke") is a short task run; between checks the task is
in state `up_for_reschedule` and gives its worker slot back. In the default `poke` mode the
sensor would sit in a slot for the whole wait, and a few waiting sensors can starve a small
worker pool. Then `count_partner_rows` reads the file.

```
wait_for_partner_file ──> count_partner_rows
```

- The path is relative to connection `landing_fs` (type `fs`, `path` = `$AIRKIT_DATA_DIR`;
  both runtimes define it as `AIRFLOW_CONN_LANDING_FS`), so the DAG never spells out where
  the landing folder lives on a machine.
- `poke_interval` is the time between checks; in reschedule mode keep it at a minute or
  more in production (each check is a scheduled task run). 15 s keeps the demo short.
- **`timeout` bounds the whole wait** (here 6 h, well below the daily schedule): then the
  sensor fails with `AirflowSensorTimeout`, which is not retried, and alerts. Without it a
  missing file is only noticed when someone looks.
- Writers must make the file appear complete (write elsewhere, then rename): a sensor only
  checks that the path exists.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.common.compat.sdk import dag, task
from airflow.providers.standard.sensors.filesystem import FileSensor

from airkit import dag_defaults, failure_callbacks


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:partners", "lesson:sensors"],
)
def partner_file_sensor():
    wait = FileSensor(
        task_id="wait_for_partner_file",
        fs_conn_id="landing_fs",
        filepath="landing/partner/{{ ds }}.csv",
        mode="reschedule",
        poke_interval=15,
        timeout=timedelta(hours=6),
    )

    @task
    def count_partner_rows(ds: str | None = None) -> int:
        import os

        from airflow.providers.standard.hooks.filesystem import FSHook

        from airkit.landing import read_records

        path = os.path.join(FSHook(fs_conn_id="landing_fs").get_path(), "landing", "partner", f"{ds}.csv")
        rows = read_records(path, "csv")
        print(f"{len(rows)} rows in {path}")
        return len(rows)

    wait >> count_partner_rows()


partner_file_sensor()
