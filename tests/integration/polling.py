"""Bounded polls for integration tests: wait on a condition, never a fixed sleep."""
from __future__ import annotations

import contextlib

from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed


def poll(read, done, timeout: float, interval: float = 2):
    """read() until done(value) or `timeout` seconds; the last value either way, for the assertion."""
    with contextlib.suppress(RetryError):
        Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval),
                 retry=retry_if_result(lambda value: not done(value)))(read)
    return read()
