"""A stack that something else started and runs: named by its REST API URL and credentials.

Only what a client can do over the network works here: the REST API and (when a DSN is given)
the warehouse. Lifecycle, logs, faults and the CLI belong to whoever runs the stack, so those
calls raise StackError instead of pretending.
"""
from __future__ import annotations

import subprocess
from functools import cached_property
from pathlib import Path

from airkit.stack.api import AirflowAPI
from airkit.stack.errors import StackError


class ExternalStack:
    runtime = "external"

    def __init__(self, url: str, user: str, password: str, warehouse_dsn: str | None = None,
                 dags_dir: Path | None = None):
        self.url = url.rstrip("/")
        self.auth = (user, password)
        self.warehouse_dsn = warehouse_dsn
        self._dags = Path(dags_dir) if dags_dir else None

    @cached_property
    def api(self) -> AirflowAPI:
        return AirflowAPI(self.url, self.auth)

    @property
    def dags_folder(self) -> Path:
        if self._dags is None:
            raise StackError("this external stack was named without its DAG folder (--airkit-dags-dir)")
        return self._dags

    def warehouse(self):
        if not self.warehouse_dsn:
            raise StackError("this external stack was named without a warehouse DSN (AIRKIT_WAREHOUSE_DSN)")
        import psycopg2
        import psycopg2.extras

        return psycopg2.connect(self.warehouse_dsn, cursor_factory=psycopg2.extras.RealDictCursor)

    def health(self) -> dict[str, str]:
        try:
            body = self.api.health()
        except Exception as exc:  # noqa: BLE001 - any failure means "not answering"
            return {"webserver": f"not answering ({type(exc).__name__})"}
        # A component the stack does not run (2.11's standalone dag_processor) reports status null.
        return {"webserver": "healthy", **{k: v["status"] for k, v in body.items()
                                           if isinstance(v, dict) and v.get("status") is not None}}

    def status(self) -> int:
        report = self.health()
        for name, state in report.items():
            print(f"  {name:<24} {state}")
        return 0 if all(state == "healthy" for state in report.values()) else 1

    def describe(self, pending=None, lines: int = 40) -> str:
        return f"external stack at {self.url}: {self.health()}"

    def start(self, timeout: float = 600) -> None:
        pending = {k: v for k, v in self.health().items() if v != "healthy"}
        if pending:
            raise StackError(f"the external stack at {self.url} is not healthy: {pending}")

    def stop(self, remove_state: bool = False) -> None:
        """Never stops what it did not start."""

    def _not_here(self, what: str):
        raise StackError(f"{what} is not available for an external stack ({self.url}): "
                         "use --airkit-runtime=local|compose for tests that need it")

    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        self._not_here("the Airflow CLI")

    def logs(self, service: str, lines: int = 80) -> str:
        self._not_here("service logs")

    def kill(self, service: str) -> None:
        self._not_here("killing a service")

    def restart(self, service: str, timeout: float = 300) -> None:
        self._not_here("restarting a service")

    def start_service(self, service: str, timeout: float = 300) -> None:
        self._not_here("starting a service")

    def write_data_file(self, relpath: str, text: str) -> None:
        self._not_here("the landing folder")

    def read_data_file(self, relpath: str) -> str:
        self._not_here("the landing folder")
