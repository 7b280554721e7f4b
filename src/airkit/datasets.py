"""The Datasets (Assets on Airflow 3) the DAGs write and read, defined once.

A Dataset URI is the contract between a producer's ``outlets`` and a consumer's ``schedule``:
Airflow matches them as strings, so a typo in a second copy does not fail, it just never
triggers the consumer. Both sides import the name from here instead.

URIs name the data, not a live server (Airflow never opens them):
``postgres://<host>:<port>/<database>/<schema>/<table>``.
"""

from __future__ import annotations

# Asset is Airflow 3's name; on 2.x the compat layer hands out airflow.datasets.Dataset, and
# airflow.datasets no longer exists on 3.
from airflow.providers.common.compat.sdk import Asset

EVENTS = Asset("postgres://warehouse:5432/warehouse/public/events")
DAILY_STATS = Asset("postgres://warehouse:5432/warehouse/public/daily_stats")


def source_run(event):
    """The producer's DagRun behind a triggering event, or None once that run is gone.

    Events outlive the runs that made them (``airflow db clean``, a deleted run). Airflow 2.x then
    hands out None; Airflow 3 fetches the run from the API server on first access and raises a
    404 instead, which failed every consumer run covering such an event. Other errors still raise.
    """
    try:
        return event.source_dag_run
    except Exception as exc:  # Airflow 3: airflow.sdk.exceptions.AirflowRuntimeError (no 2.x import)
        detail = getattr(getattr(exc, "error", None), "detail", None)
        if isinstance(detail, dict) and detail.get("status_code") == 404:
            return None
        raise
