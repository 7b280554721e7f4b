"""The demo events API: serves :mod:`airkit.events.generator` over HTTP, and misbehaves on request.

Endpoints::

    GET    /health                                   -> 200 {"status": "ok", ...}
    GET    /events?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD   (end exclusive)
    GET    /faults                                   -> the armed faults
    POST   /faults?fault=NAME[&start_date=..&end_date=..][&times=N][&delay=S]
    DELETE /faults[?id=N]                            -> disarm all (or the arming with that id),
                                                        reset their fault_times counters

Faults (for tests and training), chosen per request with ``fault=`` on ``/events``, armed
at run time with ``POST /faults`` (a DAG's request cannot carry test parameters), or as a
process-wide default with ``--fault`` / ``EVENTS_API_FAULT``:

    http500         HTTP 500 with a JSON error body
    slow            sleep ``delay`` seconds (default EVENTS_API_DELAY or 5), then reply normally
    malformed       HTTP 200 whose body is not valid JSON
    missing_fields  some events lack the required field ``user``
    truncated       Content-Length announces the full body, half is sent, connection closed
    wrong_types     some ``amount`` and ``version`` values are strings
    null_keys       some ``event_id`` values are null
    out_of_range    some events carry the wrong ``date``
    empty           HTTP 200 with ``[]``
    conflicting     some events appear twice with the same version but a different ``amount``
    oversized       HTTP 200, valid JSON padded with whitespace to OVERSIZED_BYTES (20 MiB)

``fault_times=N`` (or ``times=N`` on ``POST /faults``, or ``EVENTS_API_FAULT_TIMES``) applies
the fault to the first N matching requests only, then serves normally: a transient error for
retry tests. The count is kept in memory per (fault, start_date, end_date).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from airkit.events.generator import generate_range

FAULTS = (
    "http500",
    "slow",
    "malformed",
    "missing_fields",
    "truncated",
    "wrong_types",
    "null_keys",
    "out_of_range",
    "empty",
    "conflicting",
    "oversized",
)
MAX_RANGE_DAYS = 366
MAX_DELAY_S = 600.0
DEFAULT_DELAY_S = 5.0
# Above events_etl's max_bytes (16 MiB), far above a real day (~50 KB).
OVERSIZED_BYTES = 20 * 1024 * 1024


class BadRequest(ValueError):
    """The request's parameters are wrong; answered with HTTP 400 and this message."""


def _parse_date(params: dict[str, str], name: str, *, required: bool = True) -> dt.date | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"missing query parameter '{name}' (YYYY-MM-DD)")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a date YYYY-MM-DD, got {value!r}") from None


def _parse_range(params: dict[str, str], *, required: bool = True) -> tuple[dt.date, dt.date] | None:
    start = _parse_date(params, "start_date", required=required)
    end = _parse_date(params, "end_date", required=required)
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise BadRequest("give both 'start_date' and 'end_date', or neither")
    if end <= start:
        raise BadRequest(f"'end_date' ({end}) must be after 'start_date' ({start}); the end is exclusive")
    if (end - start).days > MAX_RANGE_DAYS:
        raise BadRequest(f"date range too long: {(end - start).days} days (max {MAX_RANGE_DAYS})")
    return start, end


def _parse_fault(value: str | None) -> str | None:
    if value in (None, "", "none"):
        return None
    if value not in FAULTS:
        raise BadRequest(f"unknown fault {value!r}; choose one of {', '.join(FAULTS)}")
    return value


def _parse_number(params: dict[str, str], name: str, default: float | None, *, maximum: float) -> float | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a number, got {value!r}") from None
    if not 0 <= number <= maximum:
        raise BadRequest(f"'{name}' must be between 0 and {maximum:g}, got {value!r}")
    return number


class FaultState:
    """Armed faults and per-key request counters, shared by all request threads."""

    def __init__(self, default_fault: str | None, default_times: int | None, default_delay: float) -> None:
        self.default_fault = default_fault
        self.default_times = default_times
        self.default_delay = default_delay
        self._lock = threading.Lock()
        self._armed: list[dict[str, Any]] = []
        self._counts: dict[tuple[Any, ...], int] = {}
        self._serial = 0

    def arm(self, fault: str, span: tuple[dt.date, dt.date] | None, times: int | None, delay: float | None) -> dict:
        entry = {
            "fault": fault,
            "start_date": span[0].isoformat() if span else None,
            "end_date": span[1].isoformat() if span else None,
            "times": times,
            "delay": delay,
        }
        with self._lock:
            self._serial += 1
            entry["id"] = self._serial
            # A new arming for the same range replaces the old one (and so restarts its count).
            self._armed = [
                a for a in self._armed if (a["start_date"], a["end_date"]) != (entry["start_date"], entry["end_date"])
            ]
            self._armed.append(entry)
        return dict(entry)

    def disarm(self, armed_id: int | None = None) -> None:
        """Every arming, or only the one with `armed_id` (tests running at once each disarm
        their own)."""
        with self._lock:
            if armed_id is None:
                self._armed.clear()
                self._counts.clear()
                return
            self._armed = [a for a in self._armed if a["id"] != armed_id]
            self._counts = {k: n for k, n in self._counts.items() if k[:2] != ("armed", armed_id)}

    def armed(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(a) for a in self._armed]

    def _take(self, key: tuple[Any, ...], times: int | None) -> bool:
        """Count one use of ``key``; False once it has been used ``times`` times."""
        with self._lock:
            used = self._counts.get(key, 0)
            if times is not None and used >= times:
                return False
            self._counts[key] = used + 1
            return True

    def choose(self, params: dict[str, str], start: dt.date, end: dt.date) -> tuple[str | None, float]:
        """The fault (or None) and delay for one /events request, in order of precedence:
        request parameter, an armed fault for this range, an armed fault for any range, the
        process default."""
        span = (start.isoformat(), end.isoformat())
        fault = _parse_fault(params.get("fault"))
        times_param = _parse_number(params, "fault_times", None, maximum=1e9)
        delay = _parse_number(params, "delay", None, maximum=MAX_DELAY_S)
        if fault is not None:
            times = int(times_param) if times_param is not None else None
            if not self._take((fault, *span), times):
                return None, 0.0
            return fault, delay if delay is not None else self.default_delay
        with self._lock:
            armed = sorted(self._armed, key=lambda a: a["start_date"] is None)
        for entry in armed:
            if entry["start_date"] is not None and (entry["start_date"], entry["end_date"]) != span:
                continue
            # An exhausted arming no longer applies; a broader one (or the default) may.
            if self._take(("armed", entry["id"], *span), entry["times"]):
                return entry["fault"], entry["delay"] if entry["delay"] is not None else self.default_delay
        if self.default_fault is not None and self._take((self.default_fault, *span), self.default_times):
            return self.default_fault, self.default_delay
        return None, 0.0


def damage_events(fault: str | None, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Damage a copy of the events the way ``fault`` says (every 5th event, and the first)."""
    if fault in (None, "slow", "http500", "malformed", "truncated", "oversized"):
        return events
    if fault == "empty":
        return []
    damaged = [dict(e) for e in events]
    if fault == "conflicting":
        # Same event_id, version and updated_at, another amount: two truths for one version.
        twins = [{**e, "amount": round(e["amount"] + 1.0, 2)} for e in damaged[::5]]
        return damaged + twins
    for n, event in enumerate(damaged):
        if n % 5:
            continue
        if fault == "missing_fields":
            event.pop("user", None)
        elif fault == "wrong_types":
            event["amount"] = str(event["amount"])
            event["version"] = str(event["version"])
        elif fault == "null_keys":
            event["event_id"] = None
        elif fault == "out_of_range":
            event["date"] = (dt.date.fromisoformat(event["date"]) - dt.timedelta(days=1)).isoformat()
    return damaged


class EventsHandler(BaseHTTPRequestHandler):
    server_version = "airkit-events/1.0"
    # HTTP/1.1 so Content-Length is meaningful (the truncated fault depends on it).
    protocol_version = "HTTP/1.1"
    faults: FaultState  # set on the subclass made by make_server()

    # --- plumbing ---------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # stdout, one line per request, so supervisord/compose logs show the traffic.
        sys.stdout.write(
            f"{self.log_date_time_string()} {self.address_string()} {format % args}\n"
        )
        sys.stdout.flush()

    def _params(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        return parts.path.rstrip("/") or "/", {k: v[-1] for k, v in query.items()}

    def _send(self, status: int, body: bytes, *, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode())

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message, "status": status})

    def _dispatch(self, routes: dict[str, Any]) -> None:
        path, params = self._params()
        handler = routes.get(path)
        if handler is None:
            self._error(HTTPStatus.NOT_FOUND, f"no such endpoint: {self.command} {path}")
            return
        try:
            handler(params)
        except BadRequest as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout during a 'slow' fault)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._dispatch({"/health": self._health, "/events": self._events, "/faults": self._list_faults})

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch({"/faults": self._arm_fault})

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch({"/faults": self._disarm})

    # --- endpoints --------------------------------------------------------------------
    def _health(self, params: dict[str, str]) -> None:
        self._json(HTTPStatus.OK, {"status": "ok", "default_fault": self.faults.default_fault})

    def _list_faults(self, params: dict[str, str]) -> None:
        self._json(HTTPStatus.OK, {"default_fault": self.faults.default_fault, "armed": self.faults.armed()})

    def _arm_fault(self, params: dict[str, str]) -> None:
        fault = _parse_fault(params.get("fault"))
        if fault is None:
            raise BadRequest(f"'fault' is required; choose one of {', '.join(FAULTS)}")
        span = _parse_range(params, required=False)
        times = _parse_number(params, "times", None, maximum=1e9)
        delay = _parse_number(params, "delay", None, maximum=MAX_DELAY_S)
        entry = self.faults.arm(fault, span, int(times) if times is not None else None, delay)
        self._json(HTTPStatus.OK, {"armed": entry})

    def _disarm(self, params: dict[str, str]) -> None:
        armed_id = _parse_number(params, "id", None, maximum=1e12)
        self.faults.disarm(int(armed_id) if armed_id is not None else None)
        self._json(HTTPStatus.OK, {"armed": self.faults.armed()})

    def _events(self, params: dict[str, str]) -> None:
        start, end = _parse_range(params)  # type: ignore[misc]  # required=True never returns None
        fault, delay = self.faults.choose(params, start, end)
        if fault is not None:
            self.log_message("injecting fault %s for %s..%s", fault, start, end)
        if fault == "http500":
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "injected fault: http500")
            return
        if fault == "slow":
            time.sleep(delay)
        if fault == "malformed":
            self._send(HTTPStatus.OK, b'[{"event_id": "oops", "user": "user_01", "amount": 1.5,,]')
            return
        body = json.dumps(damage_events(fault, generate_range(start, end))).encode()
        if fault == "oversized":
            body += b" " * max(0, OVERSIZED_BYTES - len(body))
        if fault == "truncated":
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(HTTPStatus.OK, body)


def make_server(
    host: str = "127.0.0.1",
    port: int = 5055,
    *,
    fault: str | None = None,
    fault_times: int | None = None,
    delay: float = DEFAULT_DELAY_S,
) -> ThreadingHTTPServer:
    """Build (not start) a server; ``port=0`` picks a free port (see ``server_address``)."""
    state = FaultState(_parse_fault(fault), fault_times, delay)
    handler = type("BoundEventsHandler", (EventsHandler,), {"faults": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    env = os.environ
    parser = argparse.ArgumentParser(prog="airkit-events", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=env.get("EVENTS_API_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env.get("EVENTS_API_PORT", "5055")))
    parser.add_argument(
        "--fault",
        default=env.get("EVENTS_API_FAULT") or None,
        help=f"default fault for every /events request: {', '.join(FAULTS)} (env EVENTS_API_FAULT)",
    )
    parser.add_argument(
        "--fault-times",
        type=int,
        default=int(env["EVENTS_API_FAULT_TIMES"]) if env.get("EVENTS_API_FAULT_TIMES") else None,
        help="apply the default fault to the first N requests per date range only (env EVENTS_API_FAULT_TIMES)",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=float(env.get("EVENTS_API_DELAY") or DEFAULT_DELAY_S),
        help="seconds the 'slow' fault waits (env EVENTS_API_DELAY)",
    )
    args = parser.parse_args(argv)
    try:
        server = make_server(args.host, args.port, fault=args.fault, fault_times=args.fault_times, delay=args.delay)
    except BadRequest as exc:
        parser.error(str(exc))
    except OSError as exc:
        parser.exit(1, f"airkit-events: cannot listen on {args.host}:{args.port}: {exc}\n")
    host, port = server.server_address[:2]
    print(f"airkit-events listening on http://{host}:{port} (default fault: {args.fault or 'none'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
