"""ExternalTaskSensor whose ``timeout`` means the same in every mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException
from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

# What the scheduler writes into next_kwargs when a deferred task's trigger times out: Airflow 2
# "Trigger/execution timeout", Airflow 3 "Trigger timeout" (TriggerFailureReason.TRIGGER_TIMEOUT).
_TRIGGER_TIMEOUTS = frozenset({"Trigger/execution timeout", "Trigger timeout"})


class BoundedExternalTaskSensor(ExternalTaskSensor):
    """Wait for a task of another DAG; give up, without retries, after ``timeout`` seconds.

    In poke and reschedule mode, ExternalTaskSensor fails with ``AirflowSensorTimeout``
    after ``timeout``, and that failure is final (retrying would only wait again). In
    deferrable mode the standard provider's sensor also defers with ``timeout``, but on
    Airflow 2 the end of the deferred wait comes back as an ordinary error, which is
    retried: with ``retries=2`` a missing upstream run would be waited for three times.
    This subclass turns that into ``AirflowSensorTimeout`` (Airflow 3 already does, with the
    bare message "Trigger timeout"), or a skip with ``soft_fail``, so switching ``deferrable``
    on changes where the wait happens (the triggerer instead of a worker slot), not how long
    it lasts or how it ends. Arguments are those of ExternalTaskSensor.
    """

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context):
        if next_method == "__fail__" and (next_kwargs or {}).get("error") in _TRIGGER_TIMEOUTS:
            # Handled on both lines, not only Airflow 2's: the message then names what was
            # waited for, and soft_fail skips as it does when a poking sensor times out.
            message = (
                f"{self.external_dag_id}.{self.external_task_ids or self.external_task_group_id} "
                f"did not reach {self.allowed_states} within {self.timeout:.0f}s"
            )
            if self.soft_fail:
                raise AirflowSkipException(message)
            raise AirflowSensorTimeout(message)
        return super().resume_execution(next_method, next_kwargs, context)
