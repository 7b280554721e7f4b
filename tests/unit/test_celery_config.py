"""airkit's Celery config is Airflow's, with the prefetch reduction off (why: the module's doc;
the live check, a Redis restart under an autoscaling worker, is a fault test)."""
from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

from airkit.celery_config import CELERY_CONFIG
from airkit.stack import envfile, project


def test_only_the_prefetch_reduction_differs_from_airflows_celery_config():
    changed = {key for key in CELERY_CONFIG.keys() | DEFAULT_CELERY_CONFIG.keys()
               if CELERY_CONFIG.get(key) != DEFAULT_CELERY_CONFIG.get(key)}
    assert changed == {"worker_enable_prefetch_count_reduction"}
    assert CELERY_CONFIG["worker_enable_prefetch_count_reduction"] is False


def test_the_env_file_names_this_config():
    values = envfile.parse(project.env_example())
    assert values["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == "airkit.celery_config.CELERY_CONFIG"
