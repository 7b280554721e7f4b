"""
### daily_stats_consumer: scheduled by data, not by the clock

`events_etl` declares what it writes as **Datasets** (`outlets=` on `load_events` and
`calculate_stats`). This DAG's `schedule` is that Dataset: every time a producer task that
names it succeeds, Airflow records a dataset event and creates a run of this DAG
(run type `dataset_triggered`; Airflow 3 calls Datasets *Assets*: `asset_triggered`). No sensor polls, no clock guesses when the data is ready,
and a failed producer run creates nothing.

- The Dataset URI is the contract between the two DAGs: both import it from
  `airkit.datasets`, so it is spelled once. Airflow does not open it: it is a name, not a
  connection.
- Several events between two consumer runs are collapsed into one run; `triggering_dataset_events`
  (Airflow 3: `triggering_asset_events`) lists them all. So the consumer reads which producer runs (and days) it covers from
  there, not from its own logical date (which is just the time the run was created).
- An event outlives the producer run that made it (`airflow db clean` deletes old runs, not
  events): a consumer must not depend on that run still existing (`airkit.datasets.source_run`).
- Use Datasets for "whenever new data exists"; use ExternalTaskSensor for "the same day of
  another DAG" (see `wait_for_events_etl`).
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks
from airkit.datasets import DAILY_STATS, source_run


@dag(
    schedule=[DAILY_STATS],
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:events", "lesson:datasets"],
)
def daily_stats_consumer():
    @task
    def covered_days(triggering_asset_events=None, triggering_dataset_events=None) -> list[dict]:
        """The producer runs (and their days) whose stats this run covers."""
        # Airflow 3 fills only triggering_asset_events, keyed by Asset; Airflow 2 only
        # triggering_dataset_events, keyed by URI. Reading just the 2.x one returns [] on 3.
        triggering = triggering_asset_events or triggering_dataset_events or {}
        covered = []
        for asset, events in triggering.items():
            for event in events:
                source = source_run(event)  # None once the producer run was deleted
                covered.append({
                    "uri": getattr(asset, "uri", asset),
                    "dag_id": event.source_dag_id,
                    "run_id": event.source_run_id,
                    # Airflow 3 runs may have no logical date (e.g. asset-triggered producers).
                    "day": source.logical_date.date().isoformat() if source and source.logical_date else None,
                })
        print(covered)
        return covered

    covered_days()


daily_stats_consumer()
