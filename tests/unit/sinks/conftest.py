from __future__ import annotations

from collections.abc import Iterator

import pytest

from airkit.sinks.sentry import SentrySink
from airkit.sinks.smtp import MailSink


@pytest.fixture
def sentry_sink() -> Iterator[SentrySink]:
    sink = SentrySink("127.0.0.1", 0).start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink("127.0.0.1", 0, 0).start()
    yield sink
    sink.stop()
