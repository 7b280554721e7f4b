"""What differs between the Airflow lines airkit runs on (2.11 and 3.x), decided in one place.

Imports that merely moved go through ``airflow.providers.common.compat.sdk`` and the
standard provider; this module is for the few differences an import cannot hide.
"""

from __future__ import annotations

from airflow import __version__ as AIRFLOW_VERSION
from packaging.version import Version

AIRFLOW_MAJOR = Version(AIRFLOW_VERSION).major


def fail_fast_kwargs() -> dict[str, bool]:
    """The ``@dag`` argument that stops a run at its first failed task.

    Airflow 3 renamed ``fail_stop`` to ``fail_fast`` and rejects the old name at parse time;
    Airflow 2 knows only ``fail_stop``::

        @dag(**fail_fast_kwargs(), ...)
    """
    return {"fail_fast": True} if AIRFLOW_MAJOR >= 3 else {"fail_stop": True}
