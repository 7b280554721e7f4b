"""A stack someone else runs, named by URL and credentials only: the core's ExternalStack, and
the plugin's `--airkit-stack=URL` running another suite against it. The live stack of this
session stands in for "someone else's"; nothing here starts or stops it.
"""
from __future__ import annotations

import pytest

from airkit.stack import StackError
from airkit.stack.external import ExternalStack

pytestmark = pytest.mark.integration

pytest_plugins = ["pytester"]


@pytest.fixture
def external(airflow_stack) -> ExternalStack:
    return ExternalStack(airflow_stack.endpoints.api, *airflow_stack.endpoints.admin,
                         warehouse_dsn=airflow_stack.endpoints.warehouse_dsn)


def test_an_external_stack_offers_the_api_and_the_warehouse_and_refuses_the_rest(external):
    health = external.health()
    assert health["webserver"] == "healthy" and health["metadatabase"] == "healthy", health
    external.start()  # healthy: nothing to do, no error
    assert external.api.call("GET", "/dags/events_etl")["dag_id"] == "events_etl"
    with external.warehouse() as conn, conn.cursor() as cur:
        cur.execute("SELECT current_database() AS db")
        assert cur.fetchone()["db"] == "warehouse"
    conn.close()
    for refused in (lambda: external.airflow("dags", "list"), lambda: external.kill("airflow-worker"),
                    lambda: external.logs("redis"), lambda: external.read_data_file("x.txt")):
        with pytest.raises(StackError, match="not available for an external stack"):
            refused()


def test_wrong_credentials_are_refused_by_the_external_stack(airflow_stack):
    stranger = ExternalStack(airflow_stack.endpoints.api, "admin", "not-the-password")
    with pytest.raises(AssertionError, match="HTTP 40[13]"):
        stranger.api.call("GET", "/dags")


def test_the_plugin_runs_another_suite_against_a_stack_named_by_url(airflow_stack, pytester, monkeypatch):
    user, password = airflow_stack.endpoints.admin
    monkeypatch.setenv("AIRKIT_API_USER", user)
    monkeypatch.setenv("AIRKIT_API_PASSWORD", password)
    monkeypatch.setenv("AIRKIT_WAREHOUSE_DSN", airflow_stack.endpoints.warehouse_dsn)
    pytester.makepyfile(test_their_suite="""
        def test_reaches_the_stack(airflow_stack, airflow_api, warehouse):
            assert airflow_stack.runtime == "external"
            assert airflow_api.call("GET", "/dags/events_etl")["dag_id"] == "events_etl"
            with warehouse.cursor() as cur:
                cur.execute("SELECT 1 AS one")
                assert cur.fetchone()["one"] == 1
    """)
    result = pytester.runpytest_subprocess(f"--airkit-stack={airflow_stack.endpoints.api}",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
