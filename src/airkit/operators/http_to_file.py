"""Fetch a JSON list over HTTP into a landing file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import requests
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSkipException,
    BaseOperator,
)
from airflow.providers.http.hooks.http import HttpHook

from airkit.landing import write_atomic

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

# Statuses that say "try again later". Any other 4xx means the request itself is wrong and
# will be just as wrong on the next try.
_TRANSIENT_STATUS = {408, 425, 429}
# A reply is read whole into memory before it is validated; without a cap, one runaway reply
# could take the worker (and every task on it) down with it.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024


class HttpToFileOperator(BaseOperator):
    """GET a JSON list of records and write it, unchanged, to a landing file.

    Error handling follows Airflow's retry model: transient problems (connection errors,
    timeouts, a cut-off body, HTTP 5xx/408/429) raise a normal exception so the task is
    retried; a reply that will not improve (other 4xx, invalid JSON, not a list of objects)
    raises :class:`AirflowFailException`, which fails the task at once with the reason.

    The file is written atomically and overwritten on every run, so a rerun for the same
    day replaces the old file instead of appending to it.

    :param http_conn_id: HTTP connection with the base URL. Required: a default would be one
        particular source's connection, and a task that forgot to name its own would
        silently fetch (and land) that source's data instead.
    :param endpoint: path relative to the connection's base URL, e.g. ``/events``. (templated)
    :param output_path: landing file to write. (templated)
    :param data: query parameters. (templated)
    :param timeout: seconds to wait for the reply; default: the connection's ``timeout``
        extra, else 30.
    :param max_bytes: largest reply accepted; a bigger one fails the task (it will not get
        smaller on retry) before it fills the worker's memory.
    :param skip_empty: an empty list means "nothing happened that day": skip this task (and,
        by the default trigger rule, everything downstream) instead of writing an empty file.
    """

    template_fields: Sequence[str] = ("endpoint", "output_path", "data")
    template_fields_renderers = {"data": "json"}
    ui_color = "#fdebd0"

    def __init__(
        self,
        *,
        http_conn_id: str,
        endpoint: str,
        output_path: str,
        data: dict[str, Any] | None = None,
        timeout: float | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        skip_empty: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.endpoint = endpoint
        self.output_path = output_path
        self.data = data or {}
        self.http_conn_id = http_conn_id
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.skip_empty = skip_empty

    def execute(self, context: Context) -> dict[str, Any]:
        hook = HttpHook(method="GET", http_conn_id=self.http_conn_id)
        timeout = self.timeout
        if timeout is None:
            timeout = float(hook.get_connection(self.http_conn_id).extra_dejson.get("timeout", 30))
        where = f"GET {self.endpoint} {self.data}"
        try:
            # check_response=False: the status is classified below, not turned into a
            # generic exception.
            response = hook.run(
                self.endpoint,
                data=self.data,
                # stream: the body is read below, chunk by chunk, up to max_bytes.
                extra_options={"timeout": timeout, "check_response": False, "stream": True},
            )
            content = self._read_body(response, where)
        except requests.exceptions.Timeout as exc:
            raise AirflowException(f"{where}: no reply within {timeout:g} s (will retry): {exc}") from exc
        except requests.exceptions.RequestException as exc:
            # Includes a body cut off before Content-Length bytes arrived.
            raise AirflowException(f"{where}: transfer failed (will retry): {exc}") from exc

        status = response.status_code
        snippet = content[:300].decode("utf-8", "replace")
        if status >= 500 or status in _TRANSIENT_STATUS:
            raise AirflowException(f"{where}: HTTP {status} (will retry): {snippet}")
        if status >= 400:
            raise AirflowFailException(f"{where}: HTTP {status}, the request was rejected: {snippet}")
        if status != 200:
            raise AirflowFailException(f"{where}: unexpected HTTP {status}: {snippet}")

        try:
            records = json.loads(content)
        except ValueError as exc:
            raise AirflowFailException(
                f"{where}: malformed JSON in the reply ({exc}); first bytes: {snippet!r}"
            ) from None
        if not isinstance(records, list):
            raise AirflowFailException(
                f"{where}: expected a JSON list of records, got a JSON {type(records).__name__}"
            )
        not_objects = sum(1 for r in records if not isinstance(r, dict))
        if not_objects:
            raise AirflowFailException(
                f"{where}: {not_objects} of {len(records)} list items are not JSON objects"
            )

        if not records and self.skip_empty:
            # The old landing file (if any) stays: an empty reply is not evidence worth keeping.
            raise AirflowSkipException(f"{where}: the source has no records; nothing to load")

        # The bytes as received: the landing file is the evidence of what the source said.
        write_atomic(self.output_path, content)
        self.log.info("Wrote %d records (%d bytes) to %s", len(records), len(content), self.output_path)
        return {"path": self.output_path, "records": len(records)}

    def _read_body(self, response: requests.Response, where: str) -> bytes:
        """The body, or AirflowFailException as soon as it is known to exceed max_bytes."""
        too_big = (
            f"{where}: reply larger than the limit of {self.max_bytes} bytes (max_bytes); "
            "refusing to load it"
        )
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > self.max_bytes:
            response.close()
            raise AirflowFailException(f"{too_big}: Content-Length is {announced}")
        body = bytearray()
        # A missing or lying Content-Length is caught here, after at most one extra chunk.
        for chunk in response.iter_content(_CHUNK):
            body += chunk
            if len(body) > self.max_bytes:
                response.close()
                raise AirflowFailException(f"{too_big}: more than {len(body)} bytes received")
        return bytes(body)
