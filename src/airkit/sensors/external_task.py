"""ExternalTaskSensor whose ``timeout`` means the same in every mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowSensorTimeout
from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

# What the Airflow 2 scheduler writes into next_kwargs when a deferred task's trigger times out.
_TRIGGER_TIMEOUT = "Trigger/execution timeout"


class BoundedExternalTaskSensor(ExternalTaskSensor):
    """Wait for a task of another DAG; give up, without retries, after ``timeout`` seconds.

    In poke and reschedule mode, ExternalTaskSensor fails with ``AirflowSensorTimeout``
    after ``timeout``, and that failure is final (retrying would only wait again). In
    deferrable mode the standard provider's sensor also defers with ``timeout``, but on
    Airflow 2 the end of the deferred wait comes back as an ordinary error, which is
    retried: with ``retries=2`` a missing upstream run would be waited for three times.
    This subclass turns that into ``AirflowSensorTimeout`` (Airflow 3 already does), so
    switching ``deferrable`` on changes where the wait happens (the triggerer instead of a
    worker slot), not how long it lasts. Arguments are those of ExternalTaskSensor.
    """

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context):
        if next_method == "__fail__" and (next_kwargs or {}).get("error") == _TRIGGER_TIMEOUT:
            raise AirflowSensorTimeout(
                f"{self.external_dag_id}.{self.external_task_ids or self.external_task_group_id} "
                f"did not reach {self.allowed_states} within {self.timeout:.0f}s"
            )
        return super().resume_execution(next_method, next_kwargs, context)
