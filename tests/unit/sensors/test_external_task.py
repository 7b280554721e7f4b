"""BoundedExternalTaskSensor: `timeout` bounds the deferred wait, and its end is a sensor timeout.

The assertions hold on Airflow 2 and 3: they look at what the triggerer is handed (the
trigger's own ``serialize()``), not at attributes only one line reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException, TaskDeferred
from airflow.providers.standard.triggers.external_task import WorkflowTrigger

from airkit.compat import AIRFLOW_MAJOR
from airkit.sensors.external_task import BoundedExternalTaskSensor

DAY = datetime(2024, 1, 5, tzinfo=timezone.utc)
# The error the scheduler hands a deferred task whose trigger timed out, as each line writes it.
if AIRFLOW_MAJOR >= 3:
    from airflow.models.trigger import TriggerFailureReason

    TRIGGER_TIMEOUT = TriggerFailureReason.TRIGGER_TIMEOUT
else:
    TRIGGER_TIMEOUT = "Trigger/execution timeout"  # a literal in 2.x's scheduler_job_runner
# A task context as each line builds it: Airflow 2 sensors read execution_date, 3 logical_date.
CONTEXT = {"logical_date": DAY, "execution_date": DAY}


def sensor(**kwargs) -> BoundedExternalTaskSensor:
    return BoundedExternalTaskSensor(
        task_id="wait", external_dag_id="events_etl", external_task_id="send_stats",
        timeout=timedelta(seconds=90), poke_interval=7, **kwargs,
    )


def test_deferrable_mode_defers_with_the_sensor_timeout() -> None:
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, execution_timeout=timedelta(hours=1)).execute(CONTEXT)
    assert deferred.value.timeout == timedelta(seconds=90)
    assert deferred.value.method_name == "execute_complete"


def test_the_trigger_waits_for_this_runs_logical_date() -> None:
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, failed_states=["failed"]).execute(CONTEXT)
    trigger = deferred.value.trigger
    assert isinstance(trigger, WorkflowTrigger)
    _, kwargs = trigger.serialize()
    assert kwargs["external_dag_id"] == "events_etl" and kwargs["external_task_ids"] == ["send_stats"]
    # Airflow 3's triggerer matches logical_dates, Airflow 2's execution_dates: each line
    # serializes only the one it reads, and that one must hold the day.
    assert (kwargs.get("logical_dates") or kwargs.get("execution_dates")) == [DAY]
    assert kwargs["failed_states"] == ["failed"]
    assert kwargs["poke_interval"] == 7


def test_trigger_timeout_is_a_final_sensor_timeout() -> None:
    with pytest.raises(AirflowSensorTimeout, match=r"events_etl\.\['send_stats'\] .* within 90s"):
        sensor(deferrable=True).resume_execution("__fail__", {"error": TRIGGER_TIMEOUT}, {})


def test_trigger_timeout_with_soft_fail_skips() -> None:
    # As a poking sensor does when it times out with soft_fail.
    with pytest.raises(AirflowSkipException, match="within 90s"):
        sensor(deferrable=True, soft_fail=True).resume_execution("__fail__", {"error": TRIGGER_TIMEOUT}, {})


def test_other_trigger_failures_stay_ordinary_errors() -> None:
    with pytest.raises(Exception, match="Trigger failure") as error:
        sensor(deferrable=True).resume_execution("__fail__", {"error": "Trigger failure"}, {})
    assert not isinstance(error.value, AirflowSensorTimeout)
