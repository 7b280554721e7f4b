"""Taking a Celery worker out of service without failing a task.

`docker compose up --scale airflow-worker=N` with a smaller N stops the removed containers after
Docker's 10 s grace period, with whatever tasks they run: another team member's, or another
test's on a shared stack. Draining first makes scaling in safe: the worker stops consuming every
queue (other workers take the new messages), finishes what it holds -- tasks running and
messages it prefetched -- and only an idle worker is stopped.

Through a bare Celery app on the broker, like airkit.stack.workerhealth: no Airflow import.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    wait_fixed,
)

from airkit.stack.errors import StackError


@contextlib.contextmanager
def _control(broker_url: str) -> Iterator:
    from celery import Celery

    app = Celery("airkit-worker-drain", broker=broker_url, set_as_current=False)
    try:
        yield app.control
    finally:
        app.close()


def _reconnecting(control, call, *args, **kwargs):
    """`call` again on a fresh connection when the broker closed the one it used: a suite run
    failed on an idle pooled connection the server had dropped ("Connection closed by server")."""
    errors = control.app.connection_for_write().connection_errors
    return Retrying(stop=stop_after_attempt(3), wait=wait_fixed(1), retry=retry_if_exception_type(errors),
                    reraise=True)(call, *args, **kwargs)


def held_tasks(control, node: str, timeout: float = 5.0) -> list[str] | None:
    """Names of the tasks `node` runs or has prefetched; None when it did not answer."""
    inspect = control.inspect(destination=[node], timeout=timeout)
    active, reserved = (inspect.active() or {}).get(node), (inspect.reserved() or {}).get(node)
    if active is None or reserved is None:
        return None
    return [t.get("name", "?") for t in [*active, *reserved]]


def drain(broker_url: str, node: str, timeout: float = 600) -> None:
    """Make `node` (celery@<host>) leave every queue it consumes, then wait until it holds no
    task. Raises StackError when it still does after `timeout` seconds."""
    with _control(broker_url) as control:
        subscribed = (_reconnecting(control, control.inspect(destination=[node], timeout=10).active_queues)
                      or {}).get(node)
        if subscribed is None:
            raise StackError(f"{node} did not answer inspect active_queues: is it running?")
        for queue in subscribed:
            _reconnecting(control, control.cancel_consumer, queue["name"], destination=[node], reply=True, timeout=10)
        try:
            Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2),
                     retry=retry_if_result(lambda held: held is None or bool(held)))(
                _reconnecting, control, held_tasks, control, node)
        except RetryError as exc:
            raise StackError(f"{node} still holds {exc.last_attempt.result()} after {timeout:.0f}s "
                             "of draining") from None
