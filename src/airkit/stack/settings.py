"""Settings derived from the env file, computed once for both runtimes.

The env file holds only plain values (ports, credentials, knobs). Everything composed from
several of them -- connection URIs, the broker URL, alert targets -- is spelled out here and
nowhere else in Python. The two runtimes differ only in *where* a component is reached from an
Airflow process: the local runtime dials the published host:port, a compose container dials the
service's name and its container port. `tests/unit/stack/test_derived_settings.py` proves that
both runtimes get exactly these values for the same env file (compose: `docker compose config`).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from airkit.stack import envfile, services
from airkit.stack.ports import free_ports

#: The Airflow settings whose value depends on where components are reached.
DERIVED_KEYS = (
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__CELERY__RESULT_BACKEND",
    "AIRFLOW__CELERY__BROKER_URL",
    "AIRFLOW_CONN_WAREHOUSE_DEFAULT",
    "AIRFLOW_CONN_EVENTS_API",
    "AIRFLOW__API__BASE_URL",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__SMTP__SMTP_HOST",
    "AIRFLOW__SMTP__SMTP_PORT",
    "AIRFLOW__SMTP__SMTP_STARTTLS",
    "AIRFLOW__SMTP__SMTP_SSL",
    "AIRFLOW__SMTP__SMTP_MAIL_FROM",
    "SENTRY_DSN",
)


def loopback(bind_address: str) -> str:
    """The address a client on this machine dials for a server bound to `bind_address`."""
    return "127.0.0.1" if bind_address in ("0.0.0.0", "::", "") else bind_address


@dataclass(frozen=True)
class View:
    """Where an Airflow process reaches the stack's other components."""

    name: str
    values: dict[str, str]
    #: service -> "host:port" where that service lives outside the stack (a Kubernetes deployment's
    #: managed Postgres, say); it wins over what the runtime would dial.
    elsewhere: Mapping[str, str] = field(default_factory=dict)

    def endpoint(self, service: str, port_key: str) -> str:
        if service in self.elsewhere:
            return self.elsewhere[service]
        container_port = services.get(service).ports[port_key]
        if self.name == "compose":
            return f"{service}:{container_port}"
        # An env file older than a setting falls back to the documented default (= container port).
        return f"{loopback(self.values['BIND_ADDRESS'])}:{self.values.get(port_key) or container_port}"


def derived_env(values: dict[str, str], runtime: str, *,
                elsewhere: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every DERIVED_KEYS value for processes of `runtime` ("local" or "compose"); `elsewhere`
    names services reached at another "host:port" (see View)."""
    view = View(runtime, values, dict(elsewhere or {}))
    pg = f"{values['POSTGRES_USER']}:{values['POSTGRES_PASSWORD']}@{view.endpoint('postgres', 'POSTGRES_PORT')}"
    smtp_host, smtp_port = view.endpoint("mailsink", "SMTP_PORT").rsplit(":", 1)
    derived = {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{pg}/{values['POSTGRES_DB']}",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{pg}/{values['POSTGRES_DB']}",
        "AIRFLOW__CELERY__BROKER_URL":
            f"redis://:{values['REDIS_PASSWORD']}@{view.endpoint('redis', 'REDIS_PORT')}/0",
        # Connections the DAGs use, as env vars (never stored in the metadata DB).
        "AIRFLOW_CONN_WAREHOUSE_DEFAULT": f"postgresql://{pg}/{values['WAREHOUSE_DB']}",
        "AIRFLOW_CONN_EVENTS_API": f"http://{view.endpoint('events-api', 'EVENTS_API_PORT')}",
        # Links in e-mails and the UI: what a browser on this machine opens, in both runtimes.
        "AIRFLOW__API__BASE_URL": f"http://localhost:{values['AIRFLOW_API_PORT']}",
        # Where Airflow 3 workers, the triggerer and the DAG processor report task state. Its
        # default, derived from the base URL above, is the browser's address, not the server's.
        # (Airflow 2 ignores it.)
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL":
            f"http://{view.endpoint('airflow-apiserver', 'AIRFLOW_API_PORT')}/execution/",
    }
    # Alerts go to the stack's own sinks unless the env file names real ones: a relay in
    # AIRFLOW__SMTP__*, a DSN in SENTRY_DSN. No TLS, no login: the sink is local.
    alert_defaults = {
        "AIRFLOW__SMTP__SMTP_HOST": smtp_host,
        "AIRFLOW__SMTP__SMTP_PORT": smtp_port,
        "AIRFLOW__SMTP__SMTP_STARTTLS": "False",
        "AIRFLOW__SMTP__SMTP_SSL": "False",
        "AIRFLOW__SMTP__SMTP_MAIL_FROM": "airkit@localhost",
        "SENTRY_DSN": f"http://airkit@{view.endpoint('sentrysink', 'SENTRY_SINK_PORT')}/1",
    }
    derived.update({key: values.get(key) or default for key, default in alert_defaults.items()})
    return derived


def libpq_uri(sqlalchemy_uri: str) -> str:
    """The metadata DB's SQLAlchemy URI as libpq (psycopg2, KEDA's Postgres scaler) reads it."""
    return sqlalchemy_uri.replace("postgresql+psycopg2://", "postgresql://", 1)


def landing_connection(data_dir: str) -> str:
    """connection `landing_fs`: FileSensor paths are relative to the landing folder."""
    return json.dumps({"conn_type": "fs", "extra": {"path": data_dir}})


@dataclass(frozen=True)
class Endpoints:
    """What a client on this machine (tests, make demo, the bench) dials: published ports."""

    values: dict[str, str]

    @property
    def host(self) -> str:
        return loopback(self.values["BIND_ADDRESS"])

    def url(self, port_key: str) -> str:
        return f"http://{self.host}:{self.values[port_key]}"

    @property
    def api(self) -> str:
        """The UI and REST API (the api-server on Airflow 3, the webserver on 2)."""
        return self.url("AIRFLOW_API_PORT")

    @property
    def admin(self) -> tuple[str, str]:
        return self.values["_AIRFLOW_WWW_USER_USERNAME"], self.values["_AIRFLOW_WWW_USER_PASSWORD"]

    def postgres_dsn(self, dbname: str, connect_timeout: int = 5) -> str:
        """libpq key=value DSN for a database of the stack's Postgres."""
        v = self.values
        return (f"host={self.host} port={v['POSTGRES_PORT']} dbname={dbname} user={v['POSTGRES_USER']} "
                f"password={v['POSTGRES_PASSWORD']} connect_timeout={connect_timeout}")

    @property
    def broker_url(self) -> str:
        """The Celery broker, as `celery inspect` on this machine reaches it."""
        return f"redis://:{self.values['REDIS_PASSWORD']}@{self.host}:{self.values['REDIS_PORT']}/0"

    @property
    def warehouse_dsn(self) -> str:
        return self.postgres_dsn(self.values["WAREHOUSE_DB"])

    @property
    def metadata_dsn(self) -> str:
        return self.postgres_dsn(self.values["POSTGRES_DB"])


def isolated_env_file(example: Path, path: Path, overrides: dict[str, str | None] | None = None) -> Path:
    """An env file with fresh secrets and free ports (kept if it already exists: a kept stack's
    databases were made with its secrets)."""
    keys = services.published_port_keys()
    chosen = dict(zip(keys, map(str, free_ports(len(keys)))))
    envfile.generate(example, path, {**chosen, **(overrides or {})})
    return path
