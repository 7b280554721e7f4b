"""AirflowAPI against a real api-server of this venv's Airflow line (3.x api-server with the FAB
auth manager, or a 2.11 webserver with basic auth), on a database of the throwaway PostgreSQL.

The 3.x server issues JWTs that live a few seconds (2 s leeway, so a request sent just before the
client renews is not refused on a slow box), so expiry and renewal happen inside the test instead
of after a day. Cost: about 30 s to start the server, 12 s of token lifetimes on 3.x.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import airflow
import psycopg2
import pytest
import requests
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.stack.api import AirflowAPI
from airkit.stack.ports import free_port

MAJOR = int(airflow.__version__.split(".")[0])
TOKEN_LIFETIME = 6
needs_jwt = pytest.mark.skipif(MAJOR < 3, reason="Airflow 2.x authenticates with basic auth, no tokens")


class Server:
    def __init__(self, url: str, auth: tuple[str, str], log: Path):
        self.url, self.auth, self.log = url, auth, log


def _airflow(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "airflow", *args], env=env, capture_output=True, text=True, check=False,
                            timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


@pytest.fixture(scope="module")
def server(pg_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("airflow-home")
    (home / "dags").mkdir()
    database = f"api_client_{secrets.token_hex(4)}"
    admin = psycopg2.connect(pg_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {database}")
    port, password = free_port(), secrets.token_urlsafe(12)
    # Nothing of the developer's Airflow settings may leak into this server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update({
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": pg_dsn.replace("postgresql://", "postgresql+psycopg2://", 1)
                                               .rsplit("/", 1)[0] + f"/{database}",
    })
    if MAJOR >= 3:
        env.update({
            "AIRFLOW__CORE__AUTH_MANAGER": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME": str(TOKEN_LIFETIME),
            "AIRFLOW__API_AUTH__JWT_LEEWAY": "2",
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__WORKERS": "1",
        })
        command = ["api-server"]
    else:
        env.update({
            "AIRFLOW__API__AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth",
            "AIRFLOW__WEBSERVER__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__WEBSERVER__WEB_SERVER_HOST": "127.0.0.1", "AIRFLOW__WEBSERVER__WEB_SERVER_PORT": str(port),
            "AIRFLOW__WEBSERVER__WORKERS": "1",
        })
        command = ["webserver"]
    _airflow(env, "db", "migrate")
    _airflow(env, "users", "create", "--role", "Admin", "--username", "admin",
             # --option=value: a generated password may start with "-", which argparse takes for an option.
             f"--password={password}",
             "--firstname", "api", "--lastname", "client", "--email", "admin@example.invalid")
    log = home / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "airflow", *command], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield Server(url, ("admin", password), log)
    finally:
        # The server forks workers: end its whole session.
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=30)
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.close()


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    health = f"{url}/api/v2/monitor/health" if MAJOR >= 3 else f"{url}/health"

    def answer() -> int | None:
        if process.poll() is not None:
            raise RuntimeError(f"the api server exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return requests.get(health, timeout=5).status_code
        except requests.ConnectionError:
            return None

    Retrying(stop=stop_after_delay(180), wait=wait_fixed(1), retry=retry_if_result(lambda code: code != 200),
             reraise=True, retry_error_callback=lambda _: pytest.fail(
                 f"the api server did not answer within 180 s:\n{log.read_text()[-3000:]}"))(answer)


class Recorder:
    """The status of every request the client's session sends, in order."""

    def __init__(self, api: AirflowAPI):
        self.sent: list[tuple[str, int]] = []
        original = api.session.request

        def request(method, url, *args, **kwargs):
            response = original(method, url, *args, **kwargs)
            self.sent.append((url.split("://", 1)[1].split("/", 1)[1], response.status_code))
            return response

        api.session.request = request  # type: ignore[method-assign]

    def logins(self) -> int:
        return sum(1 for path, _ in self.sent if path == "auth/token")


def test_the_client_takes_the_line_and_api_root_from_the_server(server):
    api = AirflowAPI(server.url, server.auth)
    assert api.major == MAJOR
    assert api.prefix == ("/api/v2" if MAJOR >= 3 else "/api/v1")
    assert api.call("GET", "/dags")["total_entries"] == 0
    assert api.import_errors() == []
    assert api.health()["metadatabase"]["status"] == "healthy"


def test_a_wrong_password_is_refused_with_the_servers_answer(server):
    stranger = AirflowAPI(server.url, (server.auth[0], "not-the-password"))
    assert stranger.request("GET", "/dags").status_code in (401, 403)
    with pytest.raises(AssertionError, match="HTTP 40[13]"):
        stranger.call("GET", "/dags")


@needs_jwt
def test_the_client_logs_in_once_and_renews_its_token_before_it_expires(server):
    api = AirflowAPI(server.url, server.auth)
    sent = Recorder(api)
    api.call("GET", "/dags")
    first = api._token
    api.call("GET", "/dags")
    assert sent.logins() == 1, sent.sent

    def renewed() -> bool:
        api.call("GET", "/dags")
        return api._token != first

    Retrying(stop=stop_after_delay(TOKEN_LIFETIME * 3), wait=wait_fixed(0.5), retry=retry_if_result(lambda r: not r),
             retry_error_callback=lambda _: pytest.fail(f"no new token after {TOKEN_LIFETIME * 3} s"))(renewed)
    # Renewed ahead of expiry: the server never had to refuse the old token.
    assert [s for s in sent.sent if s[1] == 401] == [], sent.sent


@needs_jwt
def test_a_token_the_server_refuses_is_replaced_and_the_request_repeated(server):
    api = AirflowAPI(server.url, server.auth)
    api.call("GET", "/dags")
    stale = api._token

    def refused() -> bool:
        return requests.get(f"{server.url}/api/v2/dags", headers={"Authorization": f"Bearer {stale}"},
                            timeout=10).status_code == 401

    Retrying(stop=stop_after_delay(TOKEN_LIFETIME * 3), wait=wait_fixed(0.5), retry=retry_if_result(lambda r: not r),
             retry_error_callback=lambda _: pytest.fail("the server still accepts an expired token"))(refused)
    # As if the client's clock had not seen the token expire (a server restarted with a new secret).
    api._token_renew_at = time.monotonic() + 3600
    sent = Recorder(api)
    assert api.call("GET", "/dags")["total_entries"] == 0
    assert [status for _, status in sent.sent] == [401, 201, 200], sent.sent
    assert api._token != stale
