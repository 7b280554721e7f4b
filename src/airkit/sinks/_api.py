"""What both sinks share: a bounded in-memory store and a small JSON HTTP API over it.

``GET /health``, ``GET /<collection>`` (oldest first), ``DELETE /<collection>``. Sinks add
their own routes by overriding :meth:`JsonApiHandler.route_post`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import threading
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

log = logging.getLogger("airkit.sinks")

#: Bodies larger than this are refused: a sink must not be a way to fill the machine's memory.
MAX_BODY_BYTES = 20 * 1024 * 1024


class Store:
    """Thread-safe, bounded list of received items; each gets an ``id`` and ``received_at``."""

    def __init__(self, limit: int = 1000) -> None:
        self._items: deque[dict[str, Any]] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._next_id = 1

    def add(self, item: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stored = {"id": self._next_id, "received_at": dt.datetime.now(dt.timezone.utc).isoformat(), **item}
            self._next_id += 1
            self._items.append(stored)
            return stored

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> int:
        with self._lock:
            count = len(self._items)
            self._items.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


class JsonApiHandler(BaseHTTPRequestHandler):
    """Serves ``store`` as ``/<collection>``; subclasses set both and may add POST routes."""

    store: ClassVar[Store]
    collection: ClassVar[str]
    server_version = "airkit-sink/1"
    protocol_version = "HTTP/1.1"

    # --- plumbing ------------------------------------------------------------------------
    def send_json(self, status: HTTPStatus, body: Any) -> None:
        data = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def _dispatch(self, handler: Callable[[str], Any]) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        try:
            status, body = handler(path)
        except HttpError as exc:
            status, body = exc.status, {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a sink answers 500, it does not die
            log.exception("%s %s failed", self.command, self.path)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"}
        self.send_json(status, body)

    def log_message(self, fmt: str, *args: Any) -> None:
        # Tests poll these APIs; access lines would drown the received-message lines.
        log.debug("%s %s", self.address_string(), fmt % args)

    # --- routes --------------------------------------------------------------------------
    def route_get(self, path: str) -> tuple[HTTPStatus, Any]:
        if path == "/health":
            return HTTPStatus.OK, {"status": "ok", self.collection: len(self.store)}
        if path == f"/{self.collection}":
            return HTTPStatus.OK, self.store.items()
        raise HttpError(HTTPStatus.NOT_FOUND, f"no route GET {path}")

    def route_delete(self, path: str) -> tuple[HTTPStatus, Any]:
        if path == f"/{self.collection}":
            return HTTPStatus.OK, {"deleted": self.store.clear()}
        raise HttpError(HTTPStatus.NOT_FOUND, f"no route DELETE {path}")

    def route_post(self, path: str) -> tuple[HTTPStatus, Any]:
        raise HttpError(HTTPStatus.NOT_FOUND, f"no route POST {path}")

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch(self.route_get)

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch(self.route_delete)

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch(self.route_post)


def make_api_server(host: str, port: int, handler: type[JsonApiHandler], store: Store) -> ThreadingHTTPServer:
    """An HTTP server bound to ``host:port`` (0 = a free port) serving ``store``."""
    bound = type(handler.__name__, (handler,), {"store": store})
    server = ThreadingHTTPServer((host, port), bound)
    server.daemon_threads = True
    return server


def exit_on_sigterm() -> None:
    """Turn SIGTERM (supervisord, docker stop) into SystemExit so `finally` blocks run."""

    def _exit(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)
