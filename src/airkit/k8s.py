"""Kubernetes Secrets for the official Helm chart, made from the stack's env file.

deploy/helm/values.yaml names the Secrets the chart reads and never holds their contents. The
`secrets` command writes one manifest per name, with the values the compose and local runtimes
derive from the same env file (airkit.stack.settings), so a cluster keeps the fernet key and
credentials of the stack its data came from.

    python -m airkit.k8s secrets --env-file .env --out .state/k8s/secrets \\
        [--postgres db.internal:5432] [--redis cache.internal:6379]

Then `kubectl apply -n <namespace> -f .state/k8s/secrets`. The manifests hold the secrets in clear
(base64 is an encoding), so they are written mode 0600 and never printed.
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from airkit.stack import envfile
from airkit.stack.settings import derived_env, libpq_uri

#: Where values.yaml names a Secret -> the key the chart reads in it, and the stack setting
#: (env file or derived) that is its value.
SECRETS: dict[str, tuple[str, str]] = {
    "fernetKeySecretName": ("fernet-key", "AIRFLOW__CORE__FERNET_KEY"),
    "apiSecretKeySecretName": ("api-secret-key", "AIRFLOW__API__SECRET_KEY"),
    # The 2.11 line reads the same setting as [webserver] secret_key (airkit.stack.line).
    "webserverSecretKeySecretName": ("webserver-secret-key", "AIRFLOW__API__SECRET_KEY"),
    "jwtSecretName": ("jwt-secret", "AIRFLOW__API_AUTH__JWT_SECRET"),
    "data.metadataSecretName": ("connection", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"),
    "data.resultBackendSecretName": ("connection", "AIRFLOW__CELERY__RESULT_BACKEND"),
    "data.brokerUrlSecretName": ("connection", "AIRFLOW__CELERY__BROKER_URL"),
}

#: Settings the chart needs in another form than Airflow does: KEDA's Postgres scaler reads the
#: metadata Secret too, and it speaks libpq, which has no "+psycopg2" dialect.
CHART_FORM = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": libpq_uri}


class SecretsError(Exception):
    """The env file or values.yaml cannot give every Secret; nothing was written."""


def secret_name(values: Mapping, dotted: str, *, source: Path) -> str:
    node = values
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, str) or not node:
        raise SecretsError(f"{source} does not name {dotted}: the chart would generate that secret itself")
    return node


def stack_settings(env_file: Path, *, elsewhere: Mapping[str, str]) -> dict[str, str]:
    """The env file plus what the runtimes derive from it; in a cluster, a Service named like the
    compose service answers on the container port, so compose's addresses are the default."""
    values = envfile.parse(env_file)
    unfilled = envfile.unfilled(values)
    if unfilled:
        raise SecretsError(f"{env_file} still has {envfile.PLACEHOLDER} for {', '.join(unfilled)}: "
                           "give it an env file made by `make env`, not the example")
    try:
        return {**values, **derived_env(values, "compose", elsewhere=elsewhere)}
    except KeyError as missing:
        raise SecretsError(f"{env_file} lacks {missing.args[0]}") from None


def secret_value(settings: Mapping[str, str], setting: str, *, env_file: Path) -> str:
    value = settings.get(setting)
    if not value:
        raise SecretsError(f"{env_file} lacks {setting} (or leaves it empty)")
    return CHART_FORM.get(setting, str)(value)


def manifests(*, env_file: Path, values_file: Path, elsewhere: Mapping[str, str]) -> dict[str, str]:
    """Secret name -> its manifest (YAML), for every Secret of SECRETS; raises before any is made
    when one cannot be."""
    values = yaml.safe_load(values_file.read_text()) or {}
    settings = stack_settings(env_file, elsewhere=elsewhere)
    out = {}
    for dotted, (key, setting) in SECRETS.items():
        name = secret_name(values, dotted, source=values_file)
        encoded = base64.b64encode(secret_value(settings, setting, env_file=env_file).encode()).decode()
        metadata = {"name": name, "labels": {"app.kubernetes.io/part-of": "airkit"}}
        out[name] = yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                    "metadata": metadata, "data": {key: encoded}}, sort_keys=False)
    return out


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # O_CREAT's mode applies to new files only: a file left by an older run may be wider.
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def write_secrets(*, env_file: Path, values_file: Path, out: Path,
                  elsewhere: Mapping[str, str]) -> list[Path]:
    docs = manifests(env_file=env_file, values_file=values_file, elsewhere=elsewhere)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for name, text in docs.items():
        written.append(out / f"{name}.yaml")
        write_private(written[-1], text)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m airkit.k8s", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("secrets", help="write the chart's Secrets from the env file")
    cmd.add_argument("--env-file", type=Path, default=Path(".env"))
    cmd.add_argument("--values", type=Path, default=Path("deploy/helm/values.yaml"))
    cmd.add_argument("--out", type=Path, required=True)
    cmd.add_argument("--postgres", metavar="HOST:PORT",
                     help="the metadata DB (default: Service postgres:5432)")
    cmd.add_argument("--redis", metavar="HOST:PORT", help="the broker (default: Service redis:6379)")
    args = parser.parse_args(argv)
    elsewhere = {service: address for service, address in (("postgres", args.postgres), ("redis", args.redis))
                 if address}
    try:
        written = write_secrets(env_file=args.env_file, values_file=args.values, out=args.out,
                                elsewhere=elsewhere)
    except (SecretsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    names = ", ".join(path.name for path in written)
    print(f"Wrote {len(written)} Secret manifests (mode 600) to {args.out}: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
