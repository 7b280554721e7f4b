"""Fixtures of the fault suites; the helpers live in faultkit.py."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faultkit import clean_reference  # noqa: E402,F401  (a fixture, re-exported for pytest)
