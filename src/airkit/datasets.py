"""The Datasets the DAGs write and read, defined once.

A Dataset URI is the contract between a producer's ``outlets`` and a consumer's ``schedule``:
Airflow matches them as strings, so a typo in a second copy does not fail, it just never
triggers the consumer. Both sides import the name from here instead.

URIs name the data, not a live server (Airflow never opens them):
``postgres://<host>:<port>/<database>/<schema>/<table>``.
"""

from __future__ import annotations

from airflow.datasets import Dataset

EVENTS = Dataset("postgres://warehouse:5432/warehouse/public/events")
DAILY_STATS = Dataset("postgres://warehouse:5432/warehouse/public/daily_stats")
