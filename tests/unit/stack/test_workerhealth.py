"""The worker check's inputs and its answer when there is no broker (the live cases -- healthy,
and a worker that pings but stopped consuming -- run in the integration suite on both runtimes)."""
from __future__ import annotations

from airkit.stack import workerhealth
from airkit.stack.ports import free_port


def test_expected_queues_come_from_the_worker_setting_then_airflows_default_queue():
    assert workerhealth.expected_queues({}) == {"default"}
    assert workerhealth.expected_queues({"AIRFLOW__OPERATORS__DEFAULT_QUEUE": "etl"}) == {"etl"}
    assert workerhealth.expected_queues({"AIRKIT_WORKER_QUEUES": "etl, remote,",
                                         "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "x"}) == {"etl", "remote"}


def test_no_broker_is_not_healthy_and_says_so():
    verdict = workerhealth.verdict(f"redis://127.0.0.1:{free_port()}/0", {"default"}, timeout=0.5)
    assert verdict.startswith("broker not answering"), verdict
