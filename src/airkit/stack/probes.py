"""The service table's health probes, run from this machine against published ports.

The local runtime judges its processes with these; compose containers are judged by Docker
running each service's healthcheck (same checks, inside the container).
"""
from __future__ import annotations

from collections.abc import Callable

from airkit.stack import heartbeat, workerhealth
from airkit.stack.services import Accepts, Http, JobHeartbeat, Probe, WorkerQueues
from airkit.stack.settings import Endpoints

def _not_yet(exc: Exception) -> str:
    return f"not answering ({type(exc).__name__})"


def _http(probe: Http, endpoints: Endpoints, env: dict[str, str]) -> str:
    import requests

    try:
        status = requests.get(f"{endpoints.url(probe.port)}{probe.path}", timeout=3).status_code
    except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
        return _not_yet(exc)
    return "healthy" if status == 200 else f"HTTP {status}"


def _accepts(probe: Accepts, endpoints: Endpoints, env: dict[str, str]) -> str:
    values = endpoints.values
    try:
        if probe.kind == "postgres":
            import psycopg2

            psycopg2.connect(endpoints.postgres_dsn(values["POSTGRES_DB"], connect_timeout=2)).close()
        else:
            import redis

            redis.Redis(host=endpoints.host, port=int(values["REDIS_PORT"]), password=values["REDIS_PASSWORD"],
                        socket_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
        return _not_yet(exc)
    return "healthy"


def _worker(probe: WorkerQueues, endpoints: Endpoints, env: dict[str, str]) -> str:
    return workerhealth.verdict(env["AIRFLOW__CELERY__BROKER_URL"], workerhealth.expected_queues(env))


def _heartbeat(probe: JobHeartbeat, endpoints: Endpoints, env: dict[str, str]) -> str:
    return heartbeat.verdict(endpoints.metadata_dsn, probe.job_type)


_CHECKS: dict[type, Callable[..., str]] = {
    Http: _http, Accepts: _accepts, WorkerQueues: _worker, JobHeartbeat: _heartbeat,
}


def check(probe: Probe, endpoints: Endpoints, env: dict[str, str]) -> str:
    """"healthy", or why not."""
    return _CHECKS[type(probe)](probe, endpoints, env)
