"""dags/ and src/ stay one source for Airflow 2 and 3: ruff's AIR3 rules find nothing.

AIR301/AIR302 flag what Airflow 3 removed, AIR311/AIR312 what moved (to airflow.sdk or the
standard provider) and only works there through deprecation shims. Shared code imports
through airflow.providers.common.compat.sdk and the standard provider instead, and
airkit.compat picks the spelling where an import cannot. A finding that must stay (e.g. the
2.x-only SLA lesson) carries a `# noqa: AIR3xx` with its reason.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO_ROOT

# The venv's ruff, the version the lock pins, not whichever one is on PATH.
RUFF = Path(sys.executable).with_name("ruff")
PATHS = ("dags", "src")


def test_no_airflow3_findings() -> None:
    result = subprocess.run(
        [str(RUFF), "check", "--preview", "--select", "AIR3", "--output-format", "concise", "--no-cache",
         *PATHS],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, (
        f"ruff AIR3 findings (exit {result.returncode}):\n{result.stdout}{result.stderr}"
    )
