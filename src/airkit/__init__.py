"""airkit: hooks, operators, notifiers and the demo events source of the Airflow reference platform."""

# Cheap on purpose: airkit.defaults imports Airflow only when its functions are called.
from airkit.defaults import dag_defaults, failure_callbacks

__all__ = ["dag_defaults", "failure_callbacks"]
