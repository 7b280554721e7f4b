"""Where the airkit checkout is: its .env.example, compose files and default DAG folder.

The runtimes start stacks from a checkout (compose builds from it, the local runtime reads its
.env.example). A DAG repo that uses the harness points AIRKIT_PROJECT_DIR at one when the
package is not installed from a checkout (editable).
"""
from __future__ import annotations

import os
from pathlib import Path

from airkit.stack.errors import StackError


def root() -> Path:
    named = os.environ.get("AIRKIT_PROJECT_DIR")
    candidate = Path(named) if named else Path(__file__).resolve().parents[3]
    if not (candidate / ".env.example").is_file():
        raise StackError(f"no airkit checkout at {candidate} (no .env.example): set AIRKIT_PROJECT_DIR "
                         "to the airkit repository, or install airkit editable from it")
    return candidate.resolve()


def env_example() -> Path:
    return root() / ".env.example"


def dags_dir() -> Path:
    """AIRKIT_DAGS_DIR (a DAG repo's own folder), else the checkout's dags/."""
    named = os.environ.get("AIRKIT_DAGS_DIR")
    path = Path(named).resolve() if named else root() / "dags"
    if not path.is_dir():
        raise StackError(f"DAG folder {path} does not exist (AIRKIT_DAGS_DIR)")
    return path


def lock_file() -> Path:
    """The committed lock of the Airflow line this interpreter runs (`make install` built it)."""
    from airkit.compat import AIRFLOW_MAJOR

    return root() / "requirements" / f"lock-airflow{AIRFLOW_MAJOR}.txt"


def venv_python(major: int) -> Path:
    """The interpreter of Airflow line `major`'s venv (`make install AIRFLOW_LINE=<major>`): a
    process imports one Airflow, so whatever runs on another line runs there."""
    python = root() / f".venv-airflow{major}" / "bin" / "python"
    if not python.exists():
        raise StackError(f"no venv for Airflow line {major}: run `make install AIRFLOW_LINE={major}`")
    return python
