"""Compose only: the `observability` profile's Prometheus scrapes Flower's /metrics.

Prometheus and Flower join the suite's stack with the overlay (compose/overlays/observability.yaml)
and leave it afterwards; statsd-exporter and Grafana are not started (--no-deps): their images
are not obtainable on CI machines, where Prometheus is a stand-in built from Debian's package
(ci/standin-images.sh). The exporter's target is therefore down here; Flower's must be up and
its worker series queryable, which is what the dashboard's worker panels read.

Cost: ~1 min (Flower's start, then a scrape or two: Flower's first scrape can come before it has
heard the worker's first heartbeat, when the target is up but has no worker series yet).
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
import requests

from airkit.stack.ports import free_port
from tests.integration.polling import poll

pytestmark = [pytest.mark.integration, pytest.mark.compose_only]

OVERLAY = "compose/overlays/observability.yaml"
SERVICES = ["flower", "prometheus"]


@pytest.fixture
def prometheus(airflow_stack) -> Iterator[str]:
    """Prometheus's URL, with Flower beside it in the suite's project; both removed afterwards."""
    port = free_port()
    env = {**airflow_stack.dc_env(), "COMPOSE_OVERLAYS": OVERLAY, "PROFILES": "observability",
           "PROMETHEUS_PORT": str(port)}

    def dc(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(airflow_stack.dc), *args], env=env, capture_output=True, text=True,
                              timeout=300, check=False)

    started = dc("up", "-d", "--no-deps", *SERVICES)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield f"http://127.0.0.1:{port}"
    finally:
        dc("kill", *SERVICES)  # neither holds anything worth a graceful stop
        dc("rm", "-fv", *SERVICES)
        # A named volume of the overlay's: `down -v` of the base project would not know it.
        subprocess.run(["docker", "volume", "rm", "-f", f"{airflow_stack.project.name}_prometheus-data"],
                       capture_output=True, check=False)


def _flower_target(url: str) -> dict | None:
    try:
        targets = requests.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    except (requests.RequestException, ValueError, KeyError):
        return None  # Prometheus still starting
    up = [t for t in targets if t["labels"].get("job") == "flower" and t["health"] == "up"]
    return up[0] if up else None


def _query(url: str, expression: str) -> dict:
    return requests.get(f"{url}/api/v1/query", params={"query": expression}, timeout=5).json()


def _has_online_worker(answer: dict) -> bool:
    return any(s["value"][1] == "1" for s in answer["data"]["result"])


def test_prometheus_scrapes_flowers_worker_metrics(prometheus):
    target = poll(lambda: _flower_target(prometheus), lambda t: t is not None, 180)
    targets = requests.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    seen = [(t["labels"].get("job"), t["health"], t.get("lastError")) for t in targets]
    assert target is not None, f"Flower's target never came up: {seen}"

    # Four scrape intervals: one Flower may answer before any worker's heartbeat reached it.
    answer = poll(lambda: _query(prometheus, "flower_worker_online"), _has_online_worker, 60)
    assert _has_online_worker(answer), f"no online worker in Flower's metrics after 60 s: {answer}"
