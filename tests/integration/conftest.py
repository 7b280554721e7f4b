"""Integration fixtures of this repository's own suite, on top of the airkit pytest plugin.

The stack comes from the plugin (`airflow_stack`: an isolated stack of RUNTIME, or the running
one; see airkit.testing.plugin). What is here is specific to this repository's DAGs: the demo
events source's fault switch.
"""
from __future__ import annotations

import datetime as dt

import pytest
import requests


@pytest.fixture(scope="session")
def events_api(airflow_stack):
    """Arms and disarms the events source's faults; every test starts with none armed."""
    return EventsAPI(airflow_stack.events_url)


class EventsAPI:
    def __init__(self, url: str):
        self.url = url

    def arm(self, fault: str, day: str | None = None, times: int | None = None, **extra) -> None:
        params = {"fault": fault, **extra}
        if day:
            params.update(start_date=day, end_date=(dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat())
        if times is not None:
            params["times"] = times
        requests.post(f"{self.url}/faults", params=params, timeout=10).raise_for_status()

    def disarm(self) -> None:
        requests.delete(f"{self.url}/faults", timeout=10).raise_for_status()


@pytest.fixture(autouse=True)
def _no_armed_faults(request):
    yield
    if "events_api" in request.fixturenames:
        request.getfixturevalue("events_api").disarm()


def pytest_collection_modifyitems(config, items):
    """compose_only tests skip on any other runtime (they read Docker's own view of the stack)."""
    from airkit.testing.plugin import HarnessConfig

    if HarnessConfig.of(config).runtime == "compose":
        return
    skip = pytest.mark.skip(reason="compose-only check: needs --airkit-runtime=compose (RUNTIME=compose)")
    for item in items:
        if item.get_closest_marker("compose_only"):
            item.add_marker(skip)
