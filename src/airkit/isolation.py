"""Where the platform keeps the dependency-isolation lesson's second Python environment.

Both runtimes build it from requirements/isolated.txt (`make install`, the image) and name it
in the environment of every Airflow process:

- ``AIRKIT_ISOLATED_PYTHON``: interpreter of a ready-made venv, for ExternalPythonOperator;
- ``AIRKIT_WHEELHOUSE``: a folder of wheels, so PythonVirtualenvOperator installs offline.
  pip finds it through ``PIP_NO_INDEX=1`` and ``PIP_FIND_LINKS`` in the workers' environment,
  not through options in ``requirements``, which Airflow 3 reads as PEP 508 pins only.

:func:`isolated_python` is a template macro, read when a task renders on the worker, never at
parse time.
"""

from __future__ import annotations

import os
from pathlib import Path

from airflow.providers.common.compat.sdk import AirflowFailException

ISOLATED_PYTHON_ENV = "AIRKIT_ISOLATED_PYTHON"


def isolated_python() -> str:
    """Absolute path of the isolated environment's interpreter."""
    value = os.environ.get(ISOLATED_PYTHON_ENV, "").strip()
    if not value:
        raise AirflowFailException(
            f"{ISOLATED_PYTHON_ENV} is not set on this worker (see `make install` / the image)"
        )
    if not Path(value).is_file():
        raise AirflowFailException(f"{ISOLATED_PYTHON_ENV}={value} does not exist on this worker; run `make install`")
    return value

