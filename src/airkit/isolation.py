"""Where the platform keeps the dependency-isolation lesson's second Python environment.

Both runtimes build it from requirements/isolated.txt (`make install`, the image) and name it
in the environment of every Airflow process:

- ``AIRKIT_ISOLATED_PYTHON``: interpreter of a ready-made venv, for ExternalPythonOperator;
- ``AIRKIT_WHEELHOUSE``: a folder of wheels, so PythonVirtualenvOperator installs offline.

The functions are template macros, read when a task renders on the worker, never at parse time.
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.providers.common.compat.sdk import AirflowFailException

ISOLATED_PYTHON_ENV = "AIRKIT_ISOLATED_PYTHON"
WHEELHOUSE_ENV = "AIRKIT_WHEELHOUSE"


def _existing(variable: str, want_dir: bool) -> str:
    value = os.environ.get(variable, "").strip()
    if not value:
        raise AirflowFailException(f"{variable} is not set on this worker (see `make install` / the image)")
    path = Path(value)
    if not (path.is_dir() if want_dir else path.is_file()):
        raise AirflowFailException(f"{variable}={value} does not exist on this worker; run `make install`")
    return value


def isolated_python() -> str:
    """Absolute path of the isolated environment's interpreter."""
    return _existing(ISOLATED_PYTHON_ENV, want_dir=False)


def wheelhouse() -> str:
    """Folder of wheels the isolated requirements install from, with no package index."""
    return _existing(WHEELHOUSE_ENV, want_dir=True)
