"""Security defaults of a running stack: nobody gets in without the generated secrets.

Known exception (documented, tested for what it does instead): Airflow 2.11's worker and
triggerer log servers bind every interface; airflow/utils/serve_logs.py hard-codes
0.0.0.0 / [::] and has no host setting. They answer only requests carrying a JWT signed with
the shared secret key, which the last tests check. (Compose does not publish those ports.)
"""
from __future__ import annotations

import contextlib
import json
import secrets
import time
import uuid

import psutil
import psycopg2
import pytest
import redis
import requests
from cryptography.fernet import Fernet

pytestmark = pytest.mark.integration

LOG_SERVER_PORTS = ("AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT")


def test_rest_api_refuses_requests_without_valid_credentials(stack):
    url = f"{stack.api.base_url}/api/v1/dags"
    assert requests.get(url, timeout=30).status_code in (401, 403)
    wrong = (stack.values["_AIRFLOW_WWW_USER_USERNAME"], "not-the-password")
    assert requests.get(url, auth=wrong, timeout=30).status_code in (401, 403)
    assert stack.api.request("GET", "/dags").status_code == 200  # the real account works


def test_config_is_not_exposed(stack):
    assert stack.api.request("GET", "/config").status_code == 403


def test_redis_requires_the_password(stack):
    port = int(stack.values["REDIS_PORT"])
    anonymous = redis.Redis(host=stack.host, port=port, socket_timeout=10)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    assert redis.Redis(host=stack.host, port=port, password=stack.values["REDIS_PASSWORD"], socket_timeout=10).ping()


def test_postgres_requires_the_password(stack):
    with pytest.raises(psycopg2.OperationalError, match="password"):
        psycopg2.connect(host=stack.host, port=stack.values["POSTGRES_PORT"], user=stack.values["POSTGRES_USER"],
                         password="not-the-password", dbname=stack.values["POSTGRES_DB"], connect_timeout=10)


def test_connection_passwords_are_stored_encrypted_with_the_generated_key(stack):
    conn_id = f"it_secret_{uuid.uuid4().hex[:8]}"
    password = f"plain-{secrets.token_hex(12)}"
    stack.api.call("POST", "/connections", json={
        "connection_id": conn_id, "conn_type": "postgres", "host": "db.invalid", "login": "someone",
        "password": password, "extra": json.dumps({"token": password})})
    try:
        with stack.metadata_db() as conn, conn.cursor() as cur:
            cur.execute("SELECT * FROM connection WHERE conn_id = %s", (conn_id,))
            row = dict(cur.fetchone())
            cur.execute("SELECT count(*) AS n FROM connection WHERE row_to_json(connection.*)::text LIKE %s",
                        (f"%{password}%",))
            assert cur.fetchone()["n"] == 0, "a connection stores the password in plain text"
        assert row["is_encrypted"] and row["is_extra_encrypted"]
        fernet = Fernet(stack.values["AIRFLOW__CORE__FERNET_KEY"].encode())
        assert fernet.decrypt(row["password"].encode()).decode() == password
        # Nor does the API hand it back.
        assert password not in json.dumps(stack.api.call("GET", f"/connections/{conn_id}"))
    finally:
        stack.api.request("DELETE", f"/connections/{conn_id}")


# --- published ports ------------------------------------------------------------------------------
def stack_listeners(stack) -> dict[tuple[str, int], str]:
    """(address, port) -> process name, for every TCP listener of the local stack's processes."""
    supervisord = psutil.Process(int((stack.local.state_dir / "run" / "supervisord.pid").read_text()))
    pids = {p.pid: p.name() for p in [supervisord, *supervisord.children(recursive=True)]}
    return {(c.laddr.ip, c.laddr.port): pids[c.pid] for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.pid in pids}


def test_every_port_binds_to_loopback(stack):
    bind = stack.values["BIND_ADDRESS"]
    assert bind == "127.0.0.1", "the generated env file must keep the loopback default"
    exempt = {int(stack.values[k]) for k in LOG_SERVER_PORTS}
    if stack.runtime == "local":
        listeners = stack_listeners(stack)
        assert listeners, "found no listeners of the stack"
        wide = {f"{a}:{p} ({n})" for (a, p), n in listeners.items() if a not in (bind, "::1") and p not in exempt}
        assert not wide, f"listening beyond {bind}: {sorted(wide)}"
    else:
        config = json.loads(stack.compose("--profile", "flower", "--profile", "mail",
                                          "config", "--format", "json").stdout)
        published = {(name, p.get("host_ip"), p.get("published"))
                     for name, svc in config["services"].items() for p in svc.get("ports", [])}
        assert published, "no published ports found"
        wide = {p for p in published if p[1] != bind}
        assert not wide, f"published beyond {bind}: {sorted(wide)}"
        assert not any(int(p[2]) in exempt for p in published), "log server ports must not be published"


def test_log_servers_refuse_requests_without_the_signed_token(stack):
    if stack.runtime != "local":
        pytest.skip("compose does not publish the log server ports; checked through the webserver below")
    for key in LOG_SERVER_PORTS:
        url = f"http://127.0.0.1:{stack.values[key]}/log/dag_id=events_etl/anything.log"
        assert requests.get(url, timeout=30).status_code == 403, key
        forged = {"Authorization": "eyJhbGciOiJIUzUxMiJ9.eyJmaWxlbmFtZSI6IngifQ.AAAA"}
        assert requests.get(url, headers=forged, timeout=30).status_code == 403, key


def test_flower_requires_auth(stack):
    if stack.runtime != "compose":
        pytest.skip("flower is a compose profile; the local runtime does not run it")
    stack.compose("--profile", "flower", "up", "-d", "--no-deps", "flower", timeout=600)
    try:
        url = f"http://{stack.host}:{stack.values['FLOWER_PORT']}/api/workers"
        deadline = time.monotonic() + 240
        while True:
            with contextlib.suppress(requests.ConnectionError):
                status = requests.get(url, timeout=10).status_code
                if status != 502:
                    break
            assert time.monotonic() < deadline, "flower did not answer within 240 s"
            time.sleep(2)
        assert status == 401
        auth = (stack.values["_AIRFLOW_WWW_USER_USERNAME"], stack.values["_AIRFLOW_WWW_USER_PASSWORD"])
        assert requests.get(url, auth=auth, timeout=30).status_code == 200
    finally:
        stack.compose("--profile", "flower", "rm", "-sf", "flower", check=False)


def test_a_running_tasks_log_is_served_by_its_worker_through_the_webserver(stack):
    """While a task runs, the webserver fetches its log from the worker's log server with a
    token signed by the shared secret key; a mismatch gives the 403 of apache/airflow#17260."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "faults"))
    from faultkit import DAG_ID, table_held, trigger_all, wait_until_blocked

    day, run_id = "2024-06-01", "security_log_2024-06-01"
    with table_held(stack, "daily_stats"):
        trigger_all(stack, {run_id: day})
        wait_until_blocked(stack, run_id, "calculate_stats", "daily_stats")
        log = stack.api.task_log(DAG_ID, run_id, "calculate_stats", 1)
    assert "Found logs served from host" in log, log[-2000:]
    assert "secret_key" not in log and "403" not in log, log[-2000:]
    assert "calculate_stats" in log
    stack.api.wait_for_run(DAG_ID, run_id, timeout=300)
