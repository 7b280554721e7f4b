"""Integration fixtures of this repository's own suite, on top of the airkit pytest plugin.

The stack comes from the plugin (`airflow_stack`: an isolated stack of RUNTIME, or the running
one; see airkit.testing.plugin). What is here is specific to this repository's DAGs: the demo
events source's fault switch, and pausing the lesson DAGs a test module unpaused.
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
    """Arms faults for a test and disarms exactly those: tests running at the same time each
    keep their own."""

    def __init__(self, url: str):
        self.url = url
        self.armed: list[int] = []

    def arm(self, fault: str, day: str | None = None, times: int | None = None, **extra) -> None:
        params = {"fault": fault, **extra}
        if day:
            params.update(start_date=day, end_date=(dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat())
        if times is not None:
            params["times"] = times
        response = requests.post(f"{self.url}/faults", params=params, timeout=10)
        response.raise_for_status()
        self.armed.append(response.json()["armed"]["id"])

    def disarm(self) -> None:
        while self.armed:
            requests.delete(f"{self.url}/faults", params={"id": self.armed.pop()}, timeout=10).raise_for_status()


@pytest.fixture(autouse=True)
def _no_armed_faults(request):
    yield
    if "events_api" in request.fixturenames:
        request.getfixturevalue("events_api").disarm()


# The order xdist hands modules out in (the Makefile turns off its own reordering by test count):
# the first three start at once; a worker is handed the next module as soon as only two of its
# tests are left. Every stack_exclusive test is in the first four modules, and first in its
# module but for the fault tests (which need their clean reference first), so they queue while
# that reference runs and the stack drains once for them all (airkit.testing.sharing.StackTurns);
# meanwhile the two-host test (its own stack, no turns) keeps a worker busy. With the exclusive
# tests last in their modules, local runs measured 541-650 s: an exclusive test queued late
# drained the stack a second time; first, 545 s. After that one drain, the longest modules go
# out first and the short ones last, so the suite does not end on a long module alone (with
# the longest last, a 65 s lesson_sla run ended one local run 50 s after the other workers).
FIRST = ("faults/test_component_faults.py", "remote/test_two_hosts.py",
         "security/test_security_defaults.py", "catalogue/test_organisation.py")
LONGEST = ("test_events_etl.py", "catalogue/test_sensors_and_datasets.py", "faults/test_bad_input.py",
           "compose/test_compose_services.py", "alerting/test_lesson_sla.py", "ui/test_ui.py")
_RANKS = {name: rank for rank, name in enumerate(FIRST)} | {name: 10 + rank for rank, name in enumerate(LONGEST)}


def _module_rank(item) -> int:
    path = item.nodeid.split("::")[0]
    return next((rank for name, rank in _RANKS.items() if path.endswith(name)), 50)


def pytest_collection_modifyitems(config, items):
    """Modules in the order above; compose_only tests skip on any other runtime (they read
    Docker's own view of the stack)."""
    from airkit.testing.plugin import HarnessConfig

    items.sort(key=_module_rank)  # stable: a module's tests keep their order
    if HarnessConfig.of(config).runtime == "compose":
        return
    skip = pytest.mark.skip(reason="compose-only check: needs --airkit-runtime=compose (RUNTIME=compose)")
    for item in items:
        if item.get_closest_marker("compose_only"):
            item.add_marker(skip)
