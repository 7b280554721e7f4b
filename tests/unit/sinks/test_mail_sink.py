"""The SMTP sink over real sockets: SMTP in, JSON API out."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import requests

from airkit.sinks._api import Store


def test_received_message_is_listed_and_cleared(mail_sink) -> None:
    message = EmailMessage()
    message["From"] = "airkit@localhost"
    message["To"] = "team@example.com"
    message["Subject"] = "Stats für 2024-01-03"
    message.set_content("plain body")
    message.add_alternative("<p>html body</p>", subtype="html")
    host, port = mail_sink.smtp_address
    with smtplib.SMTP(host, port, timeout=10) as client:
        client.send_message(message)

    api = mail_sink.api_url
    [stored] = requests.get(f"{api}/messages", timeout=5).json()
    assert stored["subject"] == "Stats für 2024-01-03"
    assert stored["mail_from"] == "airkit@localhost" and stored["rcpt_tos"] == ["team@example.com"]
    assert stored["content_type"] == "text/plain" and stored["body"].strip() == "plain body"
    assert requests.get(f"{api}/health", timeout=5).json() == {"status": "ok", "messages": 1}
    assert requests.delete(f"{api}/messages", timeout=5).json() == {"deleted": 1}
    assert requests.get(f"{api}/messages", timeout=5).json() == []
    assert requests.get(f"{api}/nothing", timeout=5).status_code == 404


def test_store_is_bounded() -> None:
    store = Store(limit=2)
    for n in range(3):
        store.add({"n": n})
    assert [item["n"] for item in store.items()] == [1, 2]
    assert [item["id"] for item in store.items()] == [2, 3]
