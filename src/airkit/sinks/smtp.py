"""``airkit-mailsink``: an SMTP server that keeps what it receives, with a JSON API to read it.

SMTP (aiosmtpd) on ``--smtp-port``; HTTP on ``--api-port``::

    GET    /health     -> {"status": "ok", "messages": N}
    GET    /messages   -> [{"id", "received_at", "mail_from", "rcpt_tos", "subject", "from",
                            "to", "content_type", "body"}, ...]   (oldest first)
    DELETE /messages   -> {"deleted": N}

No authentication, no TLS, nothing is relayed: for development stacks and tests only.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import logging
import os
import sys
from email.message import EmailMessage
from typing import Any

from airkit.sinks._api import JsonApiHandler, Store, exit_on_sigterm, make_api_server

log = logging.getLogger("airkit.sinks.smtp")


def parse_message(raw: bytes) -> dict[str, Any]:
    """The parts of a received message a reader checks: headers and the readable body."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body_part = message.get_body(preferencelist=("plain", "html"))
    return {
        "subject": str(message.get("Subject", "")),
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "content_type": body_part.get_content_type() if body_part else None,
        "body": body_part.get_content() if body_part else "",
        "size": len(raw),
    }


class StoringHandler:
    """aiosmtpd handler: every accepted message goes into ``store``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        stored = self.store.add({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                                 **parse_message(raw)})
        log.info("message %s from %s to %s: %s", stored["id"], envelope.mail_from,
                 ", ".join(envelope.rcpt_tos), stored["subject"])
        return "250 Message accepted for delivery"


class MailApiHandler(JsonApiHandler):
    collection = "messages"


class MailSink:
    """SMTP server + JSON API sharing one store; ``start()`` runs both in background threads."""

    def __init__(self, host: str = "127.0.0.1", smtp_port: int = 0, api_port: int = 0, limit: int = 1000) -> None:
        from aiosmtpd.controller import Controller

        if smtp_port == 0:
            smtp_port = _free_port(host)
        self.store = Store(limit)
        self.controller = Controller(StoringHandler(self.store), hostname=host, port=smtp_port,
                                     enable_SMTPUTF8=True)
        self.api = make_api_server(host, api_port, MailApiHandler, self.store)

    @property
    def smtp_address(self) -> tuple[str, int]:
        return self.controller.hostname, self.controller.port

    @property
    def api_url(self) -> str:
        host, port = self.api.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MailSink:
        import threading

        self.controller.start()
        threading.Thread(target=self.api.serve_forever, name="mailsink-api", daemon=True).start()
        return self

    def stop(self) -> None:
        self.api.shutdown()
        self.api.server_close()
        self.controller.stop()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("BIND_ADDRESS", "127.0.0.1"))
    parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("SMTP_PORT", 1025)))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("SMTP_WEB_PORT", 8025)))
    parser.add_argument("--limit", type=int, default=1000, help="messages kept (oldest dropped first)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiosmtpd logs every SMTP command at INFO; one line per message (ours) is enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    sink = MailSink(args.host, args.smtp_port, args.api_port, args.limit)
    sink.controller.start()
    print(f"airkit-mailsink: SMTP on {args.host}:{args.smtp_port}, API on {args.host}:{args.api_port}", flush=True)
    exit_on_sigterm()
    try:
        sink.api.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sink.api.server_close()
        sink.controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
