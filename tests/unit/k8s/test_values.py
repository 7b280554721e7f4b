"""deploy/helm/values.yaml: the settings airkit relies on, and no secret in it."""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from airkit.k8s import SECRETS

REPO = Path(__file__).resolve().parents[3]
VALUES = yaml.safe_load((REPO / "deploy" / "helm" / "values.yaml").read_text())

#: Keys whose value would be a secret itself (the chart takes such values too); only names of
#: Secrets (…SecretName, …Secret) may be set.
SECRET_VALUED_KEY = re.compile(
    r"password|passwd|^pass$|token|fernetKey$|secretKey$|^jwtSecret$|connection$|brokerUrl$", re.IGNORECASE)
CREDENTIALS_IN_URI = re.compile(r"://[^/@\s]*:[^/@\s]*@")
# A fernet key or a token_urlsafe(24) secret as the env file tooling makes them.
GENERATED_LOOKING = re.compile(r"^[A-Za-z0-9_-]{32}$|^[A-Za-z0-9_-]{43}=$")


def leaves(node: object, path: str = "") -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, f"{path}.{key}" if path else str(key))
    else:
        yield path, node


def at(dotted: str) -> object:
    node = VALUES
    for part in dotted.split("."):
        node = node[part]
    return node


@pytest.mark.parametrize(("dotted", "expected"), [
    ("executor", "CeleryExecutor"),
    ("postgresql.enabled", False),
    ("redis.enabled", False),
    ("pgbouncer.enabled", False),
    # Chart >= 1.20 reads KEDA here (workers.keda is the older place).
    ("workers.celery.keda.enabled", True),
    ("statsd.enabled", True),
    ("dags.gitSync.enabled", True),
    ("createUserJob.enabled", False),
])
def test_the_settings_airkit_relies_on(dotted: str, expected: object):
    assert at(dotted) == expected


def test_the_image_is_ours_and_its_airflow_version_is_the_lock_s():
    compose = (REPO / "compose" / "docker-compose.yaml").read_text()
    default_image = re.search(r"\$\{AIRKIT_IMAGE:-([^:}]+):\$\{AIRFLOW_LINE:-(\d)\}\}", compose)
    assert (at("images.airflow.repository"), at("images.airflow.tag")) == default_image.groups()
    lock = (REPO / "requirements" / "lock-airflow3.txt").read_text()
    assert at("airflowVersion") == re.search(r"^apache-airflow==(\S+)$", lock, re.MULTILINE).group(1)


def test_every_secret_comes_from_a_named_secret():
    for key in SECRETS:
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", str(at(key))), key


@pytest.mark.parametrize(("path", "value"), list(leaves(VALUES)), ids=[path for path, _ in leaves(VALUES)])
def test_no_secret_looking_literal(path: str, value: object):
    key = path.rsplit(".", 1)[-1]
    if SECRET_VALUED_KEY.search(key):
        assert value in (None, "", False), f"{path} holds a value: put it in a Secret and name that"
    if isinstance(value, str):
        assert not CREDENTIALS_IN_URI.search(value), f"{path} has credentials in a URI"
        assert not GENERATED_LOOKING.match(value), f"{path} looks like a generated secret"
