"""Fixtures of the lesson-DAG tests (helpers are in lessons.py)."""
from __future__ import annotations

import pytest

@pytest.fixture(scope="module", autouse=True)
def _pause_unpaused_lessons_afterwards(request, airflow_stack):
    """A module names the lesson DAGs it unpauses in UNPAUSES; they are paused again when it is
    done, so their scheduled runs (a sensor poking for yesterday's file, ...) stop using the
    small machine. Per module, not per package: under xdist another worker may still be running
    the other modules, and pausing a DAG stops its running runs too."""
    yield
    for dag_id in getattr(request.module, "UNPAUSES", ()):
        airflow_stack.api.pause(dag_id)
