"""Fixtures of the alerting tests: the stack's local mail and Sentry sinks (helpers in alert_sinks.py)."""
from __future__ import annotations

import pytest

from tests.integration.alerting.alert_sinks import Sinks


@pytest.fixture(scope="session")
def sinks(airflow_stack) -> Sinks:
    return Sinks.of(airflow_stack)
