"""Is an Airflow job (the scheduler, the triggerer, ...) alive? What `airflow jobs check
--job-type X` answers, read from the metadata database's `job` table directly: the CLI imports
all of Airflow on every probe (several CPU-seconds, every 15-30 s, per container), this costs a
query.

One check for both runtimes: the local launcher calls `verdict()`; a compose healthcheck
runs e.g. `python -m airkit.stack.heartbeat TriggererJob` for its own hostname.
"""
from __future__ import annotations

import os
import socket
import sys

from airkit.stack.settings import libpq_uri

#: The default of Airflow's [triggerer] triggerer_health_check_threshold and [scheduler]
#: scheduler_health_check_threshold; `airflow jobs check` uses it too.
THRESHOLD_S = 30


def verdict(libpq_dsn: str, job_type: str, hostname: str | None = None, threshold_s: float = THRESHOLD_S) -> str:
    """"healthy", or why not: for the job on `hostname`, or on any host when None."""
    import psycopg2

    query = ("SELECT extract(epoch FROM now() - max(latest_heartbeat)) FROM job"
             " WHERE job_type = %(type)s AND state = 'running'"
             + (" AND hostname = %(host)s" if hostname else ""))
    try:
        with psycopg2.connect(libpq_dsn, connect_timeout=5) as conn, conn.cursor() as cur:
            cur.execute(query, {"type": job_type, "host": hostname})
            age = cur.fetchone()[0]
        conn.close()
    except Exception as exc:  # noqa: BLE001 - no database or no schema yet: "not yet"
        return f"not answering ({type(exc).__name__})"
    if age is None:
        return f"no running {job_type}" + (f" on {hostname}" if hostname else "")
    return "healthy" if age <= threshold_s else f"last {job_type} heartbeat {age:.0f}s ago"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m airkit.stack.heartbeat JOB_TYPE   (e.g. TriggererJob)")
        return 2
    uri = libpq_uri(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    host = os.environ.get("HOSTNAME") or socket.gethostname()
    result = verdict(uri, argv[1], host)
    print(f"OK: {argv[1]} on {host} heartbeats" if result == "healthy" else f"UNHEALTHY: {result}")
    return 0 if result == "healthy" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
