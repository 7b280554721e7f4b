"""Draining a worker, against a real Redis and a real Celery worker (a plain Celery app with one
slow task: what is drained is Celery's own bookkeeping, not Airflow's)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.stack import sysdeps, workerdrain, workerhealth
from airkit.stack.errors import StackError
from airkit.stack.ports import free_port

NODE = "celery@drain-probe"
QUEUE = "work"
APP = textwrap.dedent("""
    import os, time
    from pathlib import Path
    from celery import Celery

    app = Celery("drain_probe", broker=os.environ["BROKER"])
    app.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True)

    @app.task(name="slow")
    def slow(marker, seconds):
        time.sleep(seconds)
        Path(marker).write_text("done")
""")


@pytest.fixture
def broker(tmp_path) -> str:
    sysdeps.ensure()
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    yield f"redis://127.0.0.1:{port}/0"
    server.kill()
    server.wait()


@pytest.fixture
def worker(tmp_path, broker):
    (tmp_path / "probe.py").write_text(APP)
    env = {**os.environ, "BROKER": broker, "PYTHONPATH": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "celery", "-A", "probe", "worker", "-n", NODE, "-Q", QUEUE,
                                "-c", "2", "--without-gossip", "--without-mingle", "-l", "WARNING"],
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    verdict = Retrying(stop=stop_after_delay(60), wait=wait_fixed(0.5), retry=retry_if_result(lambda v: v != "healthy"),
                       retry_error_callback=lambda state: state.outcome.result(),
                       )(workerhealth.verdict, broker, {QUEUE}, NODE)
    assert verdict == "healthy", verdict
    yield NODE
    process.kill()
    process.wait()


def send_slow(broker: str, marker: Path, seconds: float) -> None:
    from celery import Celery

    app = Celery("drain-sender", broker=broker, set_as_current=False)
    try:
        app.send_task("slow", args=[str(marker), seconds], queue=QUEUE)
    finally:
        app.close()


def wait_until_held(broker: str, node: str) -> None:
    with workerdrain._control(broker) as control:
        Retrying(stop=stop_after_delay(30), wait=wait_fixed(0.2), retry=retry_if_result(lambda held: not held),
                 )(workerdrain.held_tasks, control, node)


def test_a_drained_worker_finished_its_task_and_consumes_nothing(tmp_path, broker, worker):
    marker = tmp_path / "finished"
    send_slow(broker, marker, 3)
    wait_until_held(broker, worker)

    workerdrain.drain(broker, worker, timeout=60)

    assert marker.read_text() == "done", "drain returned before the running task finished"
    verdict = workerhealth.verdict(broker, {QUEUE}, worker, timeout=5)
    assert "does not consume" in verdict and QUEUE in verdict, verdict


def test_a_connection_the_broker_dropped_is_replaced_not_fatal(broker, worker):
    import redis

    server = redis.Redis.from_url(broker)
    before = {c["id"] for c in server.client_list()}
    with workerdrain._control(broker) as control:
        assert workerdrain.held_tasks(control, worker) == []  # the control's pooled connections now exist
        # Only the control's own connections, as a server restart or an idle timeout would: the
        # worker keeps its own (it would re-subscribe its queues on a reconnect).
        for client in server.client_list():
            if client["id"] not in before and client["id"] != str(server.client_id()):
                server.client_kill_filter(_id=client["id"])
        assert workerdrain._reconnecting(control, workerdrain.held_tasks, control, worker) == []


def test_a_worker_still_busy_after_the_timeout_is_named(tmp_path, broker, worker):
    send_slow(broker, tmp_path / "never", 120)
    wait_until_held(broker, worker)
    with pytest.raises(StackError, match=r"celery@drain-probe still holds \['slow'\] after 2s"):
        workerdrain.drain(broker, worker, timeout=2)


def test_a_worker_that_does_not_answer_is_an_error(broker):
    with pytest.raises(StackError, match="did not answer"):
        workerdrain.drain(broker, "celery@nobody", timeout=5)
