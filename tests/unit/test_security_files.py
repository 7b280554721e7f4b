"""Security defaults that the repository itself must hold: no default credentials, no secrets."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD", "AIRFLOW__CORE__FERNET_KEY",
           "AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "_AIRFLOW_WWW_USER_PASSWORD")
# Known defaults of the upstream docker-compose.yaml, tutorials and images. Written split so
# this file does not match itself.
DEFAULT_CREDENTIALS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        "airflow" + r":airflow(?![\w-])",
        "admin" + r":admin(?![\w-])",
        r"_AIRFLOW_WWW_USER_PASSWORD:" + "-",
        r"_AIRFLOW_WWW_USER_USERNAME:" + "-airflow",
        r"(POSTGRES|REDIS)_PASSWORD:" + "-",
        r"POSTGRES_PASSWORD[=:]\s*" + "airflow" + r"\b",
        r"requirepass\s+" + r"(airflow|redis|password)\b",
        r"FLOWER_BASIC_AUTH[=:]\s*" + r"\w+:\w+",
        r"password\s*[=:]\s*['\"]?" + r"(airflow|admin|secret|changeme)['\"]?\s*$",
    )
]


def tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    return [REPO / name for name in out.decode().split("\0") if name]


def test_no_default_credentials_in_any_tracked_file():
    hits = []
    for path in tracked_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for number, line in enumerate(text.splitlines(), start=1):
            hits += [f"{path.relative_to(REPO)}:{number}: {line.strip()[:120]}"
                     for pattern in DEFAULT_CREDENTIALS if pattern.search(line)]
    assert not hits, "default credentials in tracked files:\n" + "\n".join(hits)


def test_env_example_holds_no_secret_values():
    values = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                  if "=" in line and not line.lstrip().startswith("#"))
    assert {k: values.get(k) for k in SECRETS} == {k: "<generated>" for k in SECRETS}


@pytest.mark.parametrize("name", [".env", ".env.local", ".state/test/.env"])
def test_env_files_are_gitignored(name):
    result = subprocess.run(["git", "check-ignore", "-q", name], cwd=REPO)
    assert result.returncode == 0, f"{name} is not gitignored"


def test_no_env_file_is_tracked():
    tracked = [p.relative_to(REPO).as_posix() for p in tracked_files()]
    assert [p for p in tracked if re.search(r"(^|/)\.env($|\.)", p) and not p.endswith(".env.example")] == []
