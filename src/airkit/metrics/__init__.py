"""Airflow's metrics as the `observability` compose profile ships them: the statsd-exporter
mapping (compose/observability/statsd-mapping.yml) and the Grafana dashboard built on it."""
