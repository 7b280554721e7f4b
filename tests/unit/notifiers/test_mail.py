"""send_text_report through Airflow's SMTP backend to a real (local) SMTP sink."""

from __future__ import annotations

import requests

from airkit.notifiers import send_text_report
from airkit.notifiers.mail import recipients


def test_report_arrives_with_its_subject_and_body(mail_sink, monkeypatch) -> None:
    host, port = mail_sink.smtp_address
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_HOST", host)
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_PORT", str(port))
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_STARTTLS", "False")
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_SSL", "False")
    monkeypatch.setenv("AIRFLOW__SMTP__SMTP_MAIL_FROM", "airkit@localhost")

    sent_to = send_text_report(to="a@example.com, b@example.com", subject="stats 2024-01-03",
                               body="user    events\nu1      3 <&>")
    assert sent_to == ["a@example.com", "b@example.com"]

    [message] = requests.get(f"{mail_sink.api_url}/messages", timeout=5).json()
    assert message["subject"] == "stats 2024-01-03"
    assert message["mail_from"] == "airkit@localhost"
    assert sorted(message["rcpt_tos"]) == ["a@example.com", "b@example.com"]
    assert "u1      3 &lt;&amp;&gt;" in message["body"] and message["body"].lstrip().startswith("<pre>")


def test_no_recipients_sends_nothing(mail_sink) -> None:
    assert send_text_report(to="", subject="s", body="b") == []
    assert send_text_report(to=None, subject="s", body="b") == []
    assert requests.get(f"{mail_sink.api_url}/messages", timeout=5).json() == []


def test_recipients_parsing() -> None:
    assert recipients(" a@x ; b@y,, ") == ["a@x", "b@y"]
