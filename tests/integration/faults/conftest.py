"""Fixtures of the fault suites; the helpers live in faultkit.py."""
from __future__ import annotations

from tests.integration.faults.faultkit import clean_reference, fault_days  # noqa: F401  (fixtures)
