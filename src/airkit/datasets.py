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
