"""A Celery worker on another machine (issue #14), on two hosts this test makes.

Host A (a network namespace) runs the local runtime's stack bound to A's veth address only;
host B (another namespace, its own hostname) runs nothing but a Celery worker on queue
`remote`, from the env file `make remote-worker-env` writes, with its own copy of the DAGs.
B reaches A only through A's published ports on the veth, and A reaches B's log server the
same way. One stack for the module; B is started anew by each test.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from airkit.stack import (
    envfile,
    line,
    open_stack,
    project,
    settings,
    sysdeps,
    workerhealth,
)
from airkit.stack.isolated import HARNESS_SETTINGS
from airkit.stack.processes import kill_tree
from airkit.testing import tables
from tests.integration.polling import poll
from tests.integration.remote.hosts import entered, host_pair, resolving, tail

pytestmark = pytest.mark.integration

DAG = "lesson_remote_queue"
TASK = "load_on_remote"
QUEUE = "remote"


def _missing_prerequisite(runtime: str) -> str | None:
    if line.MAJOR != 3:
        return "the two-host test runs the Airflow 3.3 line (the remote worker talks to its execution API)"
    if runtime != "local":
        return ("the two-host test runs the local runtime in network namespaces "
                "(CI runs it with RUNTIME=local)")
    if os.geteuid() != 0:
        return "needs root: it creates network namespaces and a veth pair"
    if not (shutil.which("ip") and shutil.which("unshare")):
        return "needs `ip` (iproute2) and `unshare` (util-linux)"
    return None


@pytest.fixture(scope="module")
def pair(pytestconfig):
    from airkit.testing.plugin import HarnessConfig

    runtime = HarnessConfig.of(pytestconfig).runtime
    reason = _missing_prerequisite(runtime)
    if reason and runtime == "local" and line.MAJOR == 3 and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the two-host test: {reason}")
    if reason:
        pytest.skip(reason)
    # B advertises its hostname, which A resolves (the api-server fetches logs by that name).
    with host_pair() as hosts, resolving(hosts.a, hosts.b):
        yield hosts


@pytest.fixture(scope="module")
def root(pytestconfig, pair) -> Path:
    # Under the checkout, not pytest's 0700 temp dir: PostgreSQL runs as `postgres` and must
    # reach its data directory.
    path = Path(pytestconfig.rootpath) / ".state" / "test" / f"two-hosts-{pair.a.netns}"
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _stack_cli(pair, env_file: Path, state: Path, command: str, timeout: float):
    argv = pair.a.argv(sys.executable, "-m", "airkit.stack", "--runtime", "local",
                       "--env-file", str(env_file), command,
                       *(["--timeout", str(timeout)] if command == "up" else []))
    return subprocess.run(argv, check=False, env={**os.environ, "STATE_DIR": str(state)},
                          capture_output=True, text=True, timeout=timeout + 120)


@pytest.fixture(scope="module")
def main_host(pair, root):
    """Host A's stack (Postgres, Redis, scheduler, api-server, its own worker on `default`),
    listening on A's veth address only; the handle's clients must be used on host A."""
    env_file = settings.isolated_env_file(project.env_example(), root / "a" / ".env",
                                          {**HARNESS_SETTINGS, "AIRFLOW_LINE": "3",
                                           "BIND_ADDRESS": pair.a.address})
    state = root / "a" / "state"
    # Here, not inside host A: that has no route to a package mirror.
    sysdeps.ensure()
    try:
        started = _stack_cli(pair, env_file, state, "up", 600)
        assert started.returncode == 0, \
            f"host A's stack did not start:\n{started.stdout[-3000:]}{started.stderr[-3000:]}"
        stack = open_stack("local", env_file, state_dir=state)
        with entered(pair.a):
            stack.api.wait_for_dag(DAG)
            stack.api.unpause(DAG)
        yield stack
    finally:
        _stack_cli(pair, env_file, state, "reset", 300)


@pytest.fixture
def on_host_a(pair, main_host):
    with entered(pair.a):
        yield main_host


class RemoteWorker:
    """`python -m airkit.stack.remoteworker serve` on host B, as compose/remote-worker.yaml runs it."""

    def __init__(self, pair, root: Path, env_file: Path):
        self.pair, self.env_file = pair, env_file
        self.name = pair.b.name
        self.home = root / "b"
        self.log = self.home / "worker.log"
        self.proc: subprocess.Popen | None = None
        if not (self.home / "dags").exists():  # B's own copy: it parses the DAG file itself
            shutil.copytree(project.dags_dir(), self.home / "dags",
                            ignore=shutil.ignore_patterns("__pycache__"))

    @property
    def node(self) -> str:
        return f"celery@{self.name}"

    def worker_env(self, overrides: dict[str, str]) -> dict[str, str]:
        """What `make remote-worker-env MAIN_HOST=<A>` writes, read back as B's deployment would."""
        subprocess.run([sys.executable, "-m", "airkit.stack.remoteworker", "env",
                        "--env-file", str(self.env_file), "--main-host", self.pair.a.address,
                        "--queues", QUEUE, "--advertise-host", self.name,
                        "--out", str(self.home / "worker.env")], capture_output=True, text=True, check=True)
        return {**envfile.parse(self.home / "worker.env"), **overrides}

    def start(self, **overrides: str) -> None:
        local = {"AIRFLOW_HOME": str(self.home / "airflow"),
                 "AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"),
                 "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"), "HOME": str(self.home),
                 "PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                 "PYTHONUNBUFFERED": "1"}
        argv = self.pair.b.argv("unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', self.name,
                                sys.executable, "-m", "airkit.stack.remoteworker", "serve",
                                "--migration-timeout", "120")
        with self.log.open("a") as log:
            log.write(f"==== start {sorted(overrides)}\n")
            log.flush()
            self.proc = subprocess.Popen(argv, env={**self.worker_env(overrides), **local}, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        if self.proc is not None:
            kill_tree(self.proc.pid)
            self.proc.wait(timeout=30)
            self.proc = None

    def verdict(self, broker_url: str) -> str:
        if self.proc is not None and self.proc.poll() is not None:
            return f"exited with {self.proc.returncode}"
        return workerhealth.verdict(broker_url, {QUEUE}, node=self.node, timeout=2.0)

    def wait_consuming(self, broker_url: str, timeout: float = 180) -> None:
        """Bounded: B's worker subscribed to `remote`, as host A's broker sees it."""
        state = poll(lambda: self.verdict(broker_url), lambda v: v == "healthy" or v.startswith("exited"),
                     timeout)
        assert state == "healthy", f"{self.node} not consuming {QUEUE}: {state}\n{tail(self.log)}"


@pytest.fixture
def worker_b(pair, root, main_host):
    worker = RemoteWorker(pair, root, main_host.env_file)
    yield worker
    worker.kill()


def _run(stack, day: str, conf: dict | None = None, *, name: str) -> str:
    run_id = f"two_hosts__{name}__{day}"
    stack.api.trigger(DAG, day, run_id, conf=conf)
    return run_id


def _day_rows(stack, day: str) -> tables.Snapshot:
    with stack.warehouse() as conn:
        return tables.snapshot(conn, "remote_queue_days", "day = %(day)s", {"day": day})


def test_worker_env_holds_only_what_a_worker_needs(pair, root, main_host):
    worker = RemoteWorker(pair, root, main_host.env_file)
    env = worker.worker_env({})
    assert (worker.home / "worker.env").stat().st_mode & 0o777 == 0o600
    main = main_host.values
    for secret in ("_AIRFLOW_WWW_USER_PASSWORD", "AIRFLOW__API_AUTH__JWT_SECRET"):
        assert main[secret] not in (worker.home / "worker.env").read_text(), f"{secret} in worker.env"
    assert pair.a.address in env["AIRFLOW__CELERY__BROKER_URL"]
    execution_api = f"http://{pair.a.address}:{main['AIRFLOW_API_PORT']}/execution/"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == execution_api
    assert "AIRFLOW_CONN_WAREHOUSE_DEFAULT" not in env  # tasks ask the execution API for it


def test_routed_task_runs_on_b_and_a_shows_its_log_from_b(on_host_a, worker_b):
    stack = on_host_a
    worker_b.start()
    worker_b.wait_consuming(stack.endpoints.broker_url)
    run_id = _run(stack, "2024-01-01", name="routed")
    stack.api.wait_for_run(DAG, run_id, timeout=240)
    ti = stack.api.task_instances(DAG, run_id)[TASK]
    assert (ti["queue"], ti["hostname"]) == (QUEUE, worker_b.name)
    assert stack.api.xcom(DAG, run_id, TASK)["hostname"] == worker_b.name
    log = stack.api.task_log(DAG, run_id, TASK, 1)
    port = stack.values["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]
    served_from = f"http://{worker_b.name}:{port}/log/"
    assert served_from in log, f"A's api-server did not read the log from B's log server:\n{log[-3000:]}"
    assert "Done. Returned value was" in log or "load_on_remote" in log
    # Nothing of the task was written on A: the log A showed came over the veth.
    assert not list((stack.state_dir / "logs" / "airflow").glob(f"dag_id={DAG}/**/*.log"))


def test_worker_killed_mid_task_run_ends_green_after_b_returns(on_host_a, worker_b):
    stack = on_host_a
    day = "2024-01-02"
    worker_b.start()
    worker_b.wait_consuming(stack.endpoints.broker_url)
    run_id = _run(stack, day, {"hold_first_try": 300}, name="killed")
    _wait_for_open_transaction_from(stack, worker_b.pair.b.address)
    worker_b.kill()
    worker_b.start()
    # The scheduler fails the silent try after the heartbeat timeout (30 s here) and retries it.
    stack.api.wait_for_run(DAG, run_id, timeout=300)
    ti = stack.api.task_instances(DAG, run_id)[TASK]
    assert ti["try_number"] >= 2 and ti["hostname"] == worker_b.name, ti
    after_kill = _day_rows(stack, day)
    stack.api.clear(DAG, run_id)
    stack.api.wait_for_run(DAG, run_id, timeout=240)
    clean = _day_rows(stack, day)
    assert (after_kill.count, after_kill.digest) == (clean.count, clean.digest), after_kill.diff(clean)
    assert clean.count == 3


def _wait_for_open_transaction_from(stack, address: str, timeout: float = 180) -> None:
    """Bounded: B's task holds its warehouse transaction open (its DELETE done, nothing committed)."""
    def open_transactions() -> int:
        with stack.warehouse() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE client_addr = %s::inet "
                        "AND datname = current_database() AND state = 'idle in transaction'", (address,))
            return cur.fetchone()["n"]

    assert poll(open_transactions, bool, timeout, interval=1), f"no open transaction from {address}"


def test_b_with_another_secret_key_gets_log_fetch_refused(on_host_a, worker_b):
    stack = on_host_a
    worker_b.start(AIRFLOW__API__SECRET_KEY=envfile.new_secret("AIRFLOW__API__SECRET_KEY"))
    worker_b.wait_consuming(stack.endpoints.broker_url)
    run_id = _run(stack, "2024-01-03", name="other_secret")
    # Running tasks needs no [api] secret_key: only the log server checks it.
    stack.api.wait_for_run(DAG, run_id, timeout=240)
    log = stack.api.task_log(DAG, run_id, TASK, 1)
    # FileTaskHandler writes this only when the log server answered 403.
    assert "have the same 'secret_key' configured in '[api]' section" in log, log[-3000:]
    assert "Done. Returned value was" not in log


def test_b_with_a_wrong_redis_password_cannot_join(on_host_a, worker_b):
    stack = on_host_a
    right = worker_b.worker_env({})["AIRFLOW__CELERY__BROKER_URL"]
    wrong = right.replace(stack.values["REDIS_PASSWORD"], "not-the-password", 1)
    worker_b.start(AIRFLOW__CELERY__BROKER_URL=wrong)
    refused = ("WRONGPASS", "invalid username-password pair", "invalid password")

    def refusal_logged() -> bool:
        return any(text in worker_b.log.read_text(errors="replace") for text in refused)

    assert poll(refusal_logged, bool, 120), f"no refusal in B's log:\n{tail(worker_b.log)}"
    assert worker_b.verdict(stack.endpoints.broker_url) != "healthy"

