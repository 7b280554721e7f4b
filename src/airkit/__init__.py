"""airkit: hooks, operators, notifiers and the demo events source of the Airflow reference platform."""
