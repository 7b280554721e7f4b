"""Read what the stack's alert sinks received (airkit-mailsink, airkit-sentrysink).

The sinks keep everything since they started, and a kept stack (KEEP_STACK=1) or other tests
add more: a test notes `last_*_id()` before it acts and only looks at what came after.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed


@dataclass
class Sinks:
    mail_url: str
    sentry_url: str

    @classmethod
    def of(cls, stack) -> Sinks:
        # Published on the host at the env file's ports, in both runtimes.
        return cls(mail_url=f"http://{stack.host}:{stack.values['SMTP_WEB_PORT']}",
                   sentry_url=f"http://{stack.host}:{stack.values['SENTRY_SINK_PORT']}")

    def messages(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.mail_url}/messages", timeout=10)
        response.raise_for_status()
        return response.json()

    def events(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.sentry_url}/events", timeout=10)
        response.raise_for_status()
        return response.json()

    def last_message_id(self) -> int:
        return max((m["id"] for m in self.messages()), default=0)

    def last_event_id(self) -> int:
        return max((e["id"] for e in self.events()), default=0)

    def wait_for_messages(self, match: Callable[[dict], bool], after: int, count: int = 1,
                          timeout: float = 120) -> list[dict[str, Any]]:
        return _wait(lambda: [m for m in self.messages() if m["id"] > after and match(m)], count, timeout,
                     "mail", lambda: self.messages()[-5:])

    def wait_for_events(self, match: Callable[[dict], bool], after: int, count: int = 1,
                        timeout: float = 120) -> list[dict[str, Any]]:
        return _wait(lambda: [e for e in self.events() if e["id"] > after and match(e)], count, timeout,
                     "Sentry events", lambda: [(e["id"], e["tags"], e["message"]) for e in self.events()[-10:]])


def _wait(fetch, count: int, timeout: float, what: str, recent) -> list[dict[str, Any]]:
    try:
        return Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2),
                        retry=retry_if_result(lambda found: len(found) < count))(fetch)
    except Exception:  # tenacity.RetryError: not (all) there at the deadline
        raise AssertionError(f"expected {count} {what} within {timeout:.0f}s; got {len(fetch())}. "
                             f"Most recent: {recent()}") from None


def tagged(**tags: str) -> Callable[[dict], bool]:
    """Match Sentry events whose tags include all of ``tags``."""
    return lambda event: all(event["tags"].get(k) == v for k, v in tags.items())


def exception_type(event: dict[str, Any]) -> str | None:
    values = (event["event"].get("exception") or {}).get("values") or []
    return values[-1]["type"] if values else None


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)
