"""BoundedExternalTaskSensor: `timeout` bounds the deferred wait, and its end is a sensor timeout."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from airflow.exceptions import AirflowSensorTimeout, TaskDeferralError, TaskDeferred

from airkit.sensors.external_task import BoundedExternalTaskSensor


def sensor(**kwargs) -> BoundedExternalTaskSensor:
    return BoundedExternalTaskSensor(
        task_id="wait", external_dag_id="events_etl", external_task_id="send_stats",
        timeout=timedelta(seconds=90), poll_interval=7, **kwargs,
    )


def test_deferrable_mode_defers_with_the_sensor_timeout() -> None:
    context = {"logical_date": datetime(2024, 1, 5, tzinfo=timezone.utc)}
    with pytest.raises(TaskDeferred) as deferred:
        sensor(deferrable=True, execution_timeout=timedelta(hours=1)).execute(context)
    assert deferred.value.timeout == timedelta(seconds=90)
    trigger = deferred.value.trigger
    assert trigger.external_dag_id == "events_etl" and trigger.external_task_ids == ["send_stats"]
    assert trigger.execution_dates == [context["logical_date"]]
    assert trigger.poke_interval == 7


def test_trigger_timeout_is_a_final_sensor_timeout() -> None:
    with pytest.raises(AirflowSensorTimeout, match="within 90s"):
        sensor(deferrable=True).resume_execution("__fail__", {"error": "Trigger/execution timeout"}, {})


def test_other_trigger_failures_stay_ordinary_errors() -> None:
    with pytest.raises(TaskDeferralError) as error:
        sensor(deferrable=True).resume_execution("__fail__", {"error": "Trigger failure"}, {})
    assert not isinstance(error.value, AirflowSensorTimeout)
