"""Local receivers for alerts, shipped with the platform for development and tests only.

- :mod:`airkit.sinks.smtp` (``airkit-mailsink``): an SMTP server that keeps every message it
  receives and lists them over HTTP (``GET /messages``).
- :mod:`airkit.sinks.sentry` (``airkit-sentrysink``): accepts what sentry-sdk sends to a DSN
  (``POST /api/<project>/envelope/`` and the legacy ``/store/``) and lists the events over
  HTTP (``GET /events``).

Both keep messages in memory only (a bounded number), have no authentication and are meant
to listen on 127.0.0.1 or a private container network: never expose them.
"""
