"""``airkit-sentrysink``: receives what sentry-sdk sends to a DSN and lists it over HTTP.

Point a DSN at it: ``http://<any-key>@<host>:<port>/<project-id>``. Routes::

    POST   /api/<project>/envelope/   Sentry envelopes (what sentry-sdk 1.x/2.x sends)
    POST   /api/<project>/store/      the legacy single-event endpoint
    GET    /health                    -> {"status": "ok", "events": N}
    GET    /events                    -> [{"id", "received_at", "project", "event_id", "level",
                                          "message", "tags", "event"}, ...]   (oldest first)
    DELETE /events                    -> {"deleted": N}

Bodies may be gzip- or deflate-compressed (``Content-Encoding``). Only items of type
``event`` are kept; sessions, client reports and the like are acknowledged and dropped.
No authentication: for development stacks and tests only.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import logging
import os
import re
import sys
import threading
import zlib
from http import HTTPStatus
from typing import Any

from airkit.sinks._api import HttpError, JsonApiHandler, Store, exit_on_sigterm, make_api_server

log = logging.getLogger("airkit.sinks.sentry")

ROUTE = re.compile(r"^/api/(?P<project>[^/]+)/(?P<kind>envelope|store)$")


def decompress(body: bytes, encoding: str | None) -> bytes:
    encoding = (encoding or "identity").strip().lower()
    try:
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "deflate":
            return zlib.decompress(body)
    except (OSError, zlib.error, EOFError) as exc:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"body is not valid {encoding}: {exc}") from None
    if encoding == "identity":
        return body
    # brotli ("br") is only sent when the brotli module is installed; the lock does not have it.
    raise HttpError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"unsupported Content-Encoding {encoding!r}")


def parse_envelope(data: bytes) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    """Envelope header and (item header, payload) pairs.

    Format (develop.sentry.dev/sdk/envelopes): a JSON header line, then per item a JSON header
    line and a payload that is either ``length`` bytes or, without ``length``, the rest of the
    line.
    """
    try:
        header_line, sep, rest = data.partition(b"\n")
        header = json.loads(header_line or b"{}")
        items: list[tuple[dict[str, Any], bytes]] = []
        while rest.strip():
            item_line, _, rest = rest.partition(b"\n")
            if not item_line.strip():
                continue
            item_header = json.loads(item_line)
            length = item_header.get("length")
            if length is None:
                payload, _, rest = rest.partition(b"\n")
            else:
                if len(rest) < length:
                    raise ValueError(f"item announces {length} bytes, {len(rest)} left")
                payload, rest = rest[:length], rest[length:]
                if rest.startswith(b"\n"):
                    rest = rest[1:]
            items.append((item_header, payload))
    except (ValueError, TypeError) as exc:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"not a Sentry envelope: {exc}") from None
    return header, items


def parse_store_body(data: bytes) -> dict[str, Any]:
    """A legacy /store/ body: JSON, or (very old SDKs) base64 of zlib-compressed JSON."""
    text = data.strip()
    try:
        if not text.startswith(b"{"):
            text = zlib.decompress(base64.b64decode(text))
        event = json.loads(text)
    except (ValueError, zlib.error) as exc:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"not a Sentry event: {exc}") from None
    if not isinstance(event, dict):
        raise HttpError(HTTPStatus.BAD_REQUEST, "a Sentry event is a JSON object")
    return event


def summarize(project: str, event: dict[str, Any]) -> dict[str, Any]:
    """The stored record: what a test usually asserts on, plus the whole event."""
    tags = event.get("tags") or {}
    if isinstance(tags, list):  # older SDKs send [[key, value], ...]
        tags = {str(k): v for k, v in tags}
    message = event.get("message")
    if isinstance(message, dict):
        message = message.get("formatted") or message.get("message")
    if not message and isinstance(event.get("logentry"), dict):
        message = event["logentry"].get("formatted") or event["logentry"].get("message")
    return {
        "project": project,
        "event_id": event.get("event_id"),
        "level": event.get("level"),
        "message": message,
        "tags": tags,
        "event": event,
    }


class SentryApiHandler(JsonApiHandler):
    collection = "events"

    def route_post(self, path: str) -> tuple[HTTPStatus, Any]:
        match = ROUTE.match(path)
        if not match:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no route POST {path} (expected /api/<project>/envelope/)")
        project = match["project"]
        data = decompress(self.read_body(), self.headers.get("Content-Encoding"))
        if match["kind"] == "store":
            events = [parse_store_body(data)]
            header: dict[str, Any] = {}
        else:
            header, items = parse_envelope(data)
            events = []
            for item_header, payload in items:
                if item_header.get("type") != "event":
                    continue
                try:
                    events.append(json.loads(payload))
                except ValueError as exc:
                    raise HttpError(HTTPStatus.BAD_REQUEST, f"event item is not JSON: {exc}") from None
        for event in events:
            stored = self.store.add(summarize(project, event))
            log.info("event %s project=%s level=%s: %s", stored["event_id"], project, stored["level"],
                     stored["message"])
        event_id = events[0].get("event_id") if events else header.get("event_id")
        return HTTPStatus.OK, {"id": event_id}


class SentrySink:
    """The HTTP server and its store; ``start()`` serves in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, limit: int = 1000) -> None:
        self.store = Store(limit)
        self.server = make_api_server(host, port, SentryApiHandler, self.store)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def dsn(self, project: str = "1", key: str = "airkit") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{key}@{host}:{port}/{project}"

    def start(self) -> SentrySink:
        threading.Thread(target=self.server.serve_forever, name="sentrysink", daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("BIND_ADDRESS", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SENTRY_SINK_PORT", 8030)))
    parser.add_argument("--limit", type=int, default=1000, help="events kept (oldest dropped first)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    sink = SentrySink(args.host, args.port, args.limit)
    print(f"airkit-sentrysink: listening on {sink.url} (DSN {sink.dsn()})", flush=True)
    exit_on_sigterm()
    try:
        sink.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sink.server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
