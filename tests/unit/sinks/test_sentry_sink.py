"""The Sentry sink over real HTTP: envelopes, the legacy store endpoint, and its JSON API."""

from __future__ import annotations

import gzip
import json
import zlib

import requests
import sentry_sdk


def _envelope(*items: tuple[dict, bytes], header: dict | None = None) -> bytes:
    parts = [json.dumps(header or {}).encode()]
    for item_header, payload in items:
        parts += [json.dumps(item_header).encode(), payload]
    return b"\n".join(parts) + b"\n"


def test_real_sdk_event_is_stored(sentry_sink) -> None:
    client = sentry_sdk.Client(dsn=sentry_sink.dsn(project="7"), default_integrations=False)
    with sentry_sdk.isolation_scope(), sentry_sdk.new_scope() as scope:
        scope.set_client(client)
        scope.set_tag("dag_id", "d1")
        scope.capture_message("hello sink", level="error")
    client.close(timeout=5)

    [stored] = requests.get(f"{sentry_sink.url}/events", timeout=5).json()
    assert stored["project"] == "7" and stored["message"] == "hello sink"
    assert stored["level"] == "error" and stored["tags"]["dag_id"] == "d1"


def test_envelope_with_and_without_lengths_gzip_and_other_item_types(sentry_sink) -> None:
    event = json.dumps({"event_id": "a" * 32, "message": "line\nbreak", "level": "info"}).encode()
    body = _envelope(
        ({"type": "session"}, b'{"sid": "x"}'),
        ({"type": "event", "length": len(event)}, event),
        ({"type": "event"}, json.dumps({"event_id": "b" * 32, "logentry": {"formatted": "second"}}).encode()),
    )
    # "line\nbreak" only survives because the first event item announces its length.
    response = requests.post(f"{sentry_sink.url}/api/3/envelope/", data=gzip.compress(body),
                             headers={"Content-Encoding": "gzip"}, timeout=5)
    assert response.status_code == 200 and response.json() == {"id": "a" * 32}
    stored = requests.get(f"{sentry_sink.url}/events", timeout=5).json()
    assert [s["message"] for s in stored] == ["line\nbreak", "second"]


def test_legacy_store_endpoint(sentry_sink) -> None:
    event = {"event_id": "c" * 32, "message": "old sdk", "tags": [["k", "v"]]}
    requests.post(f"{sentry_sink.url}/api/1/store/", json=event, timeout=5).raise_for_status()
    requests.post(f"{sentry_sink.url}/api/1/store/", data=zlib.compress(json.dumps(event).encode()),
                  headers={"Content-Encoding": "deflate"}, timeout=5).raise_for_status()
    stored = requests.get(f"{sentry_sink.url}/events", timeout=5).json()
    assert [s["tags"] for s in stored] == [{"k": "v"}, {"k": "v"}]


def test_bad_requests_get_clear_errors_and_store_nothing(sentry_sink) -> None:
    url = sentry_sink.url
    cases = [
        requests.post(f"{url}/api/1/envelope/", data=b"{}\n{not json", timeout=5),
        requests.post(f"{url}/api/1/envelope/", data=b"x", headers={"Content-Encoding": "gzip"}, timeout=5),
        requests.post(f"{url}/api/1/envelope/", data=b"x", headers={"Content-Encoding": "br"}, timeout=5),
        requests.post(f"{url}/api/1/store/", data=b"[1, 2]", timeout=5),
        requests.post(f"{url}/elsewhere", data=b"{}", timeout=5),
    ]
    assert [r.status_code for r in cases] == [400, 400, 415, 400, 404]
    assert all(r.json()["error"] for r in cases)
    assert requests.get(f"{url}/events", timeout=5).json() == []


def test_health_list_and_clear(sentry_sink) -> None:
    url = sentry_sink.url
    requests.post(f"{url}/api/1/store/", json={"message": "m"}, timeout=5).raise_for_status()
    assert requests.get(f"{url}/health", timeout=5).json() == {"status": "ok", "events": 1}
    assert requests.delete(f"{url}/events", timeout=5).json() == {"deleted": 1}
    assert requests.get(f"{url}/events", timeout=5).json() == []
