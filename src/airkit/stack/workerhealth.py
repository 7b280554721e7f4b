"""Is a Celery worker consuming its queue(s)? Not merely answering ping: a worker can answer
ping yet consume nothing (apache/airflow#63580; reproduce with
`celery control cancel_consumer default`). Asks over the broker which queues the worker(s)
consume -- the same broadcast as `celery inspect active_queues` -- through a bare Celery app:
importing only celery/kombu costs a fraction of a second of CPU, importing Airflow several
seconds, on every probe of every worker.

One check for both runtimes: the local launcher calls `verdict()`; compose's worker healthcheck
runs `airkit-worker-healthcheck` (this module's `main`) for its own node. Exit 0 healthy, 1 not.
Env: AIRFLOW__CELERY__BROKER_URL; queues from AIRKIT_WORKER_QUEUES (comma-separated), else
AIRFLOW__OPERATORS__DEFAULT_QUEUE, else "default" (Airflow's default_queue).
"""
from __future__ import annotations

import os
import socket
import sys
import warnings


def expected_queues(env: dict[str, str]) -> set[str]:
    queues = env.get("AIRKIT_WORKER_QUEUES") or env.get("AIRFLOW__OPERATORS__DEFAULT_QUEUE") or "default"
    return {q.strip() for q in queues.split(",") if q.strip()}


def _inspect(broker_url: str, question: str, node: str | None, timeout: float) -> dict:
    """The workers' replies to one `celery inspect` broadcast (raises when the broker does not answer)."""
    from celery import Celery

    app = Celery("airkit-worker-health", broker=broker_url, set_as_current=False)
    app.conf.broker_transport_options = {"max_retries": 0}  # a probe: fail fast, ask again later
    try:
        return getattr(app.control.inspect(destination=[node] if node else None, timeout=timeout), question)() or {}
    finally:
        app.close()


def verdict(broker_url: str, queues: set[str], node: str | None = None, timeout: float = 1.0) -> str:
    """"healthy", or why not: for `node` (e.g. celery@host), or for any worker when None."""
    try:
        replies = _inspect(broker_url, "active_queues", node, timeout)
    except Exception as exc:  # noqa: BLE001 - broker down or refusing us: "not yet"
        return f"broker not answering ({type(exc).__name__})"
    if node is not None:
        replies = {name: q for name, q in replies.items() if name == node}
    if not replies:
        return f"{node or 'no worker'} did not answer inspect active_queues within {timeout}s"
    for name, subscribed in replies.items():
        consuming = {q.get("name") for q in subscribed or []}
        if queues <= consuming:
            return "healthy"
    return f"{name} answers but does not consume {sorted(queues - consuming)} (consuming: {sorted(consuming)})"


def prefetch_shortfalls(broker_url: str, timeout: float = 5.0) -> list[str]:
    """Workers that can no longer fill their own pool. A prefork worker takes at most
    prefetch_count messages, and an autoscaling one grows only for messages it took: once its
    prefetch count is below its ceiling of slots, the slots beyond it stay empty while tasks
    wait. Celery's "prefetch count reduction" after a broker reconnect does exactly that to an
    autoscaling worker (celery/celery#7515); airkit.celery_config turns it off."""
    replies = _inspect(broker_url, "stats", None, timeout)
    if not replies:
        return [f"no worker answered inspect stats within {timeout}s"]
    short = []
    for node, stats in sorted(replies.items()):
        slots = (stats.get("autoscaler") or {}).get("max") or stats["pool"]["max-concurrency"]
        if stats["prefetch_count"] < slots:
            short.append(f"{node} prefetches {stats['prefetch_count']} task(s) for {slots} slots")
    return short


def main() -> int:
    warnings.filterwarnings("ignore")  # the healthcheck output (docker inspect) is the verdict line
    broker = os.environ.get("AIRFLOW__CELERY__BROKER_URL")
    if not broker:
        print("UNHEALTHY: AIRFLOW__CELERY__BROKER_URL is not set")
        return 1
    node = f"celery@{os.environ.get('HOSTNAME') or socket.gethostname()}"
    timeout = float(os.environ.get("AIRKIT_WORKER_HEALTHCHECK_TIMEOUT", "10"))
    result = verdict(broker, expected_queues(dict(os.environ)), node, timeout)
    print(f"OK: {node} consumes {sorted(expected_queues(dict(os.environ)))}" if result == "healthy"
          else f"UNHEALTHY: {result}")
    return 0 if result == "healthy" else 1


if __name__ == "__main__":
    sys.exit(main())
