"""Integration fixtures: one live stack per session, whichever runtime runs it.

RUNTIME=local|compose picks the runtime (the Makefile exports it). By default the session
starts an isolated stack of its own (own env file, state and free ports under .state/test/),
so a developer's stack and data are never touched, and removes it afterwards; KEEP_STACK=1
leaves it up for the next run. AIRKIT_STACK=running uses the stack named by ENV_FILE instead.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stacks import REPO, LocalStack, compose_stack, isolated_env_file  # noqa: E402

RUNTIME = os.environ.get("RUNTIME", "local")
KEEP_STACK = os.environ.get("KEEP_STACK") == "1"
USE_RUNNING = os.environ.get("AIRKIT_STACK") == "running"
# Several checkouts or engineers on one machine each set their own to run suites side by side.
TEST_STATE = Path(os.environ.get("AIRKIT_TEST_STATE", REPO / ".state" / "test" / RUNTIME))
TEST_PROJECT = os.environ.get("AIRKIT_TEST_PROJECT", "airkit-test")


def pytest_report_header(config):
    mode = "the running stack" if USE_RUNNING else f"an isolated stack in {TEST_STATE}"
    return f"airkit integration: RUNTIME={RUNTIME}, using {mode}"


@pytest.fixture(scope="session")
def stack(request):
    if USE_RUNNING:
        env_file = Path(os.environ.get("ENV_FILE", REPO / ".env"))
        if RUNTIME == "local":
            yield LocalStack(env_file, Path(os.environ.get("STATE_DIR", REPO / ".state" / "local")))
        else:
            yield compose_stack(env_file, os.environ.get("COMPOSE_PROJECT", "airkit"))
        return

    env_file = isolated_env_file(TEST_STATE / ".env")
    if RUNTIME == "local":
        live = LocalStack(env_file, TEST_STATE / "state")
    elif RUNTIME == "compose":
        live = compose_stack(env_file, TEST_PROJECT, request.getfixturevalue("docker_services"))
    else:
        raise pytest.UsageError(f"RUNTIME must be local or compose, not {RUNTIME!r}")
    live.start()
    yield live
    if not KEEP_STACK:
        live.stop(remove_state=True)


@pytest.fixture(scope="session")
def events_api(stack):
    """Arms and disarms the events source's faults; every test starts with none armed."""
    return EventsAPI(stack.events_url)


class EventsAPI:
    def __init__(self, url: str):
        self.url = url

    def arm(self, fault: str, day: str | None = None, times: int | None = None, **extra) -> None:
        params = {"fault": fault, **extra}
        if day:
            params.update(start_date=day, end_date=_next_day(day))
        if times is not None:
            params["times"] = times
        requests.post(f"{self.url}/faults", params=params, timeout=10).raise_for_status()

    def disarm(self) -> None:
        requests.delete(f"{self.url}/faults", timeout=10).raise_for_status()


def _next_day(day: str) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


@pytest.fixture(autouse=True)
def _no_armed_faults(request):
    yield
    if "events_api" in request.fixturenames:
        request.getfixturevalue("events_api").disarm()


# --- Compose runtime: pytest-docker manages the isolated project (see compose_stack.py) ------
# Only resolved when RUNTIME=compose (the stack fixture asks for docker_services).
def _compose_settings():
    from compose_stack import ComposeSettings

    return ComposeSettings.isolated(TEST_STATE / ".env", TEST_PROJECT)


@pytest.fixture(scope="session")
def docker_compose_project_name():
    return TEST_PROJECT


@pytest.fixture(scope="session")
def docker_compose_file():
    return [str(path) for path in _compose_settings().files]


@pytest.fixture(scope="session")
def docker_compose_command():
    # `env <image choices, logs dir> docker compose --env-file <isolated env file>`
    return _compose_settings().command_prefix()


@pytest.fixture(scope="session")
def docker_setup():
    # `up -d` returns once the one-shot init finished; ComposeStack.start() waits for health.
    return ["up -d --remove-orphans"]


@pytest.fixture(scope="session")
def docker_cleanup():
    return [] if KEEP_STACK else ["down -v --remove-orphans"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test gets the logs of the stack's unhealthy services attached to its report."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        live = item.funcargs.get("stack")
        describe = getattr(live, "unhealthy_report", None)
        if describe is not None:
            report.sections.append(("stack health after the failure", describe()))
