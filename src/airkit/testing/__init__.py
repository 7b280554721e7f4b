"""airkit.testing: the integration-test harness (a pytest plugin) and its building blocks.

The plugin (`airkit.testing.plugin`, registered as pytest11 entry point `airkit`) gives any DAG
repo a live stack and fixtures that prove the habits the platform teaches; `postgres` is a
throwaway PostgreSQL for unit tests and benchmarks; `tables` snapshots and diffs tables.
"""
