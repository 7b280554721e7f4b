"""A StatsD sink for tests: what a stack really sends, name by name, over UDP.

The harness's local isolated stack sends its StatsD stream to 127.0.0.1:<a port chosen with the
stack's other ports> (harness_settings); a test binds a StatsDSink there and waits for names.
"""
from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Self

from airkit.stack.ports import free_udp_port

HOST = "127.0.0.1"


def harness_settings() -> dict[str, str]:
    """Env file values for a stack whose StatsD a test on this machine can read. InfluxDB tags:
    the labels the mapping relies on reach the wire only that way on Airflow 3.3."""
    return {"AIRFLOW__METRICS__STATSD_ON": "True",
            "AIRFLOW__METRICS__STATSD_HOST": HOST,
            "AIRFLOW__METRICS__STATSD_PORT": str(free_udp_port()),
            "AIRFLOW__METRICS__STATSD_PREFIX": "airflow",
            "AIRFLOW__METRICS__STATSD_INFLUXDB_ENABLED": "True"}


class StatsDSink:
    """Binds host:port (UDP) and keeps every metric name received, tags included. A thread reads
    all the time: the scheduler alone sends dozens of packets a second, and a socket nobody reads
    while the test waits for a DAG run drops the one packet that matters (a run's duration)."""

    def __init__(self, host: str, port: int):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.5)
        self.names: set[str] = set()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="statsd-sink", daemon=True)

    def __enter__(self) -> Self:
        self._reader.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._reader.join(timeout=5)
        self.sock.close()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                packet = self.sock.recv(65535)
            except TimeoutError:
                continue
            with self._changed:
                self.names.update(parse(packet))
                self._changed.notify_all()

    def wait_for(self, done: Callable[[set[str]], bool], timeout: float) -> set[str]:
        """Until done(names) holds or `timeout` seconds pass; a copy of the names either way."""
        with self._changed:
            self._changed.wait_for(lambda: done(self.names), timeout=timeout)
            return set(self.names)


def parse(packet: bytes) -> Iterable[str]:
    """The metric names (with InfluxDB tags) of a StatsD packet: `name:value|type` per line."""
    for line in packet.decode("utf-8", "replace").splitlines():
        if ":" in line:
            yield line.split(":", 1)[0]
