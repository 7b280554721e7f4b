"""The Celery configuration of airkit's workers and scheduler: Airflow's own, with one change.

Named by ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=airkit.celery_config.CELERY_CONFIG`` in the
env file, so Airflow builds its Celery app from this dict instead of
``DEFAULT_CELERY_CONFIG``. It is imported only by Airflow processes, after Airflow's config is
loaded: the provider's dict is built from it at import time.

``worker_enable_prefetch_count_reduction`` off: after a broker reconnect, Celery (5.3+) sets a
worker's prefetch count to the number of slots its pool has *at that moment*, minus the busy
ones, and raises it back only up to the pool's current size. An autoscaling worker
(``WORKER_AUTOSCALE``) grows only for messages it has taken, so once its pool shrinks to one
slot after such a reconnect, it runs one task at a time for good while the others stay queued
(celery/celery#7515). A CI run hung on it: a 600 s sleeper held the only slot while its
sibling waited. Off, the prefetch count stays at the autoscale ceiling; what the reduction
protects against (a reconnect fetching more messages than there are slots) is bounded by that
ceiling anyway. The fault test ``test_redis_restarted_mid_stats`` checks it
(``airkit.stack.workerhealth.prefetch_shortfalls``).
"""
from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG, "worker_enable_prefetch_count_reduction": False}
