"""ExternalTaskSensor whose ``timeout`` means the same in every mode."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.exceptions import AirflowSensorTimeout
from airflow.sensors.external_task import ExternalTaskSensor
from airflow.triggers.external_task import WorkflowTrigger

if TYPE_CHECKING:
    from airflow.utils.context import Context

# What the scheduler writes into next_kwargs when a deferred task's trigger times out.
_TRIGGER_TIMEOUT = "Trigger/execution timeout"


class BoundedExternalTaskSensor(ExternalTaskSensor):
    """Wait for a task of another DAG; give up, without retries, after ``timeout`` seconds.

    In poke and reschedule mode, Airflow's ExternalTaskSensor fails with
    ``AirflowSensorTimeout`` after ``timeout``, and that failure is final (retrying would
    only wait again). In deferrable mode, Airflow 2.11 instead bounds the wait with
    ``execution_timeout`` and reports the end of the wait as an ordinary error, which is
    retried: with ``retries=2`` a missing upstream run is waited for three times, and a
    sensor without ``execution_timeout`` waits forever. This subclass defers with
    ``timeout`` and turns the trigger's timeout into ``AirflowSensorTimeout``, so switching
    ``deferrable`` on changes where the wait happens (the triggerer instead of a worker
    slot), not how long it lasts. Arguments are those of ExternalTaskSensor.
    """

    def execute(self, context: Context) -> None:
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            timeout=timedelta(seconds=self.timeout),
            trigger=WorkflowTrigger(
                external_dag_id=self.external_dag_id,
                external_task_group_id=self.external_task_group_id,
                external_task_ids=self.external_task_ids,
                execution_dates=self._get_dttm_filter(context),
                allowed_states=self.allowed_states,
                poke_interval=self.poll_interval,
                soft_fail=self.soft_fail,
            ),
            method_name="execute_complete",
        )

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context):
        if next_method == "__fail__" and (next_kwargs or {}).get("error") == _TRIGGER_TIMEOUT:
            raise AirflowSensorTimeout(
                f"{self.external_dag_id}.{self.external_task_ids or self.external_task_group_id} "
                f"did not reach {self.allowed_states} within {self.timeout:.0f}s"
            )
        return super().resume_execution(next_method, next_kwargs, context)
