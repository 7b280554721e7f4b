"""The name a worker gives the api-server for fetching its logs ([core] hostname_callable).

The api-server reads a task's log from http://<ti.hostname>:8793 on the worker that ran it.
Airflow's default, the worker's FQDN, is often a name only the worker's own host resolves (a
container id, a laptop's name); `get_host_ip_address` resolves that same name and fails the
same way (apache/airflow#71357). A remote worker is told what to advertise instead.
"""
from __future__ import annotations

import os
import socket


def advertised_host() -> str:
    """AIRKIT_WORKER_ADVERTISE_HOST when set (the address the main host reaches this worker
    at, e.g. behind NAT), else the FQDN as Airflow would use."""
    return os.environ.get("AIRKIT_WORKER_ADVERTISE_HOST") or socket.getfqdn()
