"""Security defaults of a running stack: nobody gets in without the generated secrets.

Known exception (documented, tested for what it does instead): Airflow 2.11's worker and
triggerer log servers bind every interface; airflow/utils/serve_logs.py hard-codes
0.0.0.0 / [::] and has no host setting. They answer only requests carrying a JWT signed with
the shared secret key, which the last tests check. (Compose does not publish those ports.)
"""
from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
import uuid

import psutil
import psycopg2
import pytest
import redis
import requests
from cryptography.fernet import Fernet

from airkit.stack import line
from airkit.stack.api import AirflowAPI

pytestmark = pytest.mark.integration

LOG_SERVER_PORTS = ("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT",)  # the triggerer serves none (--skip-serve-logs)


def test_a_running_tasks_log_is_served_by_its_worker_through_the_webserver(airflow_stack, unique_logical_date):
    """While a task runs, the webserver fetches its log from the worker's log server with a
    token signed by the shared secret key; a mismatch gives the 403 of apache/airflow#17260."""
    from tests.integration.faults.faultkit import DAG_ID, day_held, seed_days, trigger_all, wait_until_blocked

    day = unique_logical_date()
    run_id = f"security_log_{day}"
    seed_days(airflow_stack, [day])  # rows for the hold to lock: the run's overwrite must wait on them
    with day_held(airflow_stack, "daily_stats", day) as hold:
        trigger_all(airflow_stack, {run_id: day})
        wait_until_blocked(airflow_stack, run_id, "calculate_stats", hold)
        log = airflow_stack.api.task_log(DAG_ID, run_id, "calculate_stats", 1)
    if line.MAJOR >= 3:
        # Airflow 3 lists where the text came from: the worker's log server, for a running task.
        port = airflow_stack.values["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]
        assert re.search(rf"^http://[^/\s]+:{port}/log/", log, re.M), log[-2000:]
    else:
        assert "Found logs served from host" in log, log[-2000:]
    # The refusal reads "403 FORBIDDEN" / "403 Client Error"; a bare "403" may be a task's pid.
    assert "secret_key" not in log and not re.search(r"\b403 (FORBIDDEN|Client Error)", log, re.I), log[-2000:]
    assert "calculate_stats" in log
    airflow_stack.api.wait_for_run(DAG_ID, run_id, timeout=300)


def test_rest_api_refuses_requests_without_valid_credentials(airflow_stack):
    api = airflow_stack.api
    assert requests.get(f"{api.base_url}{api.prefix}/dags", timeout=30).status_code in (401, 403)
    # The line's own way in (basic auth on 2.x, a token from /auth/token on 3.x), with a wrong password.
    stranger = AirflowAPI(api.base_url, (airflow_stack.values["_AIRFLOW_WWW_USER_USERNAME"], "not-the-password"))
    assert stranger.request("GET", "/dags").status_code in (401, 403)
    assert api.request("GET", "/dags").status_code == 200  # the real account works


def test_config_is_not_exposed(airflow_stack):
    assert airflow_stack.api.request("GET", "/config").status_code == 403


def test_redis_requires_the_password(airflow_stack):
    port = int(airflow_stack.values["REDIS_PORT"])
    anonymous = redis.Redis(host=airflow_stack.host, port=port, socket_timeout=10)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    assert redis.Redis(host=airflow_stack.host, port=port, password=airflow_stack.values["REDIS_PASSWORD"], socket_timeout=10).ping()


def test_postgres_requires_the_password(airflow_stack):
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(host=airflow_stack.host, port=airflow_stack.values["POSTGRES_PORT"], user=airflow_stack.values["POSTGRES_USER"],
                         password="not-the-password", dbname=airflow_stack.values["POSTGRES_DB"], connect_timeout=10)


def test_connection_passwords_are_stored_encrypted_with_the_generated_key(airflow_stack):
    conn_id = f"it_secret_{uuid.uuid4().hex[:8]}"
    password = f"plain-{secrets.token_hex(12)}"
    airflow_stack.api.call("POST", "/connections", json={
        "connection_id": conn_id, "conn_type": "postgres", "host": "db.invalid", "login": "someone",
        "password": password, "extra": json.dumps({"token": password})})
    try:
        with airflow_stack.metadata_db() as conn, conn.cursor() as cur:
            cur.execute("SELECT * FROM connection WHERE conn_id = %s", (conn_id,))
            row = dict(cur.fetchone())
            cur.execute("SELECT count(*) AS n FROM connection WHERE row_to_json(connection.*)::text LIKE %s",
                        (f"%{password}%",))
            assert cur.fetchone()["n"] == 0, "a connection stores the password in plain text"
        assert row["is_encrypted"] and row["is_extra_encrypted"]
        fernet = Fernet(airflow_stack.values["AIRFLOW__CORE__FERNET_KEY"].encode())
        assert fernet.decrypt(row["password"].encode()).decode() == password
        # Nor does the API hand it back.
        assert password not in json.dumps(airflow_stack.api.call("GET", f"/connections/{conn_id}"))
    finally:
        airflow_stack.api.request("DELETE", f"/connections/{conn_id}")


# --- published ports ------------------------------------------------------------------------------
def stack_listeners(airflow_stack) -> dict[tuple[str, int], str]:
    """(address, port) -> process name, for every TCP listener of the local stack's processes."""
    supervisord = psutil.Process(int((airflow_stack.state_dir / "run" / "supervisord.pid").read_text()))
    pids = {p.pid: p.name() for p in [supervisord, *supervisord.children(recursive=True)]}
    return {(c.laddr.ip, c.laddr.port): pids[c.pid] for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.pid in pids}


def test_every_port_binds_to_loopback(airflow_stack):
    bind = airflow_stack.values["BIND_ADDRESS"]
    assert bind == "127.0.0.1", "the generated env file must keep the loopback default"
    exempt = {int(airflow_stack.values[k]) for k in LOG_SERVER_PORTS}
    if airflow_stack.runtime == "local":
        listeners = stack_listeners(airflow_stack)
        assert listeners, "found no listeners of the stack"
        wide = {f"{a}:{p} ({n})" for (a, p), n in listeners.items() if a not in (bind, "::1") and p not in exempt}
        assert not wide, f"listening beyond {bind}: {sorted(wide)}"
    else:
        config = json.loads(airflow_stack.compose("--profile", "flower",
                                          "config", "--format", "json").stdout)
        published = {(name, p.get("host_ip"), p.get("published"))
                     for name, svc in config["services"].items() for p in svc.get("ports", [])}
        assert published, "no published ports found"
        wide = {p for p in published if p[1] != bind}
        assert not wide, f"published beyond {bind}: {sorted(wide)}"
        assert not any(int(p[2]) in exempt for p in published), "log server ports must not be published"


def test_log_servers_refuse_requests_without_the_signed_token(airflow_stack):
    if airflow_stack.runtime != "local":
        pytest.skip("compose does not publish the log server ports; checked through the webserver below")
    for key in LOG_SERVER_PORTS:
        url = f"http://127.0.0.1:{airflow_stack.values[key]}/log/dag_id=events_etl/anything.log"
        assert requests.get(url, timeout=30).status_code == 403, key
        forged = {"Authorization": "eyJhbGciOiJIUzUxMiJ9.eyJmaWxlbmFtZSI6IngifQ.AAAA"}
        assert requests.get(url, headers=forged, timeout=30).status_code == 403, key


def test_flower_requires_auth(airflow_stack):
    if airflow_stack.runtime != "compose":
        pytest.skip("flower is a compose profile; the local runtime does not run it")
    airflow_stack.compose("--profile", "flower", "up", "-d", "--no-deps", "flower", timeout=600)
    try:
        url = f"http://{airflow_stack.host}:{airflow_stack.values['FLOWER_PORT']}/api/workers"
        deadline = time.monotonic() + 240
        while True:
            with contextlib.suppress(requests.ConnectionError):
                status = requests.get(url, timeout=10).status_code
                if status != 502:
                    break
            assert time.monotonic() < deadline, "flower did not answer within 240 s"
            time.sleep(2)
        assert status == 401
        auth = (airflow_stack.values["_AIRFLOW_WWW_USER_USERNAME"], airflow_stack.values["_AIRFLOW_WWW_USER_PASSWORD"])
        assert requests.get(url, auth=auth, timeout=30).status_code == 200
    finally:
        airflow_stack.compose("--profile", "flower", "rm", "-sf", "flower", check=False)
