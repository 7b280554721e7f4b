"""Fixtures of the alerting tests: the stack's local mail and Sentry sinks (helpers in alert_sinks.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alert_sinks import Sinks  # noqa: E402


@pytest.fixture(scope="session")
def sinks(stack) -> Sinks:
    return Sinks.of(stack)
