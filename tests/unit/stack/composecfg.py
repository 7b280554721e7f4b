"""What `docker compose config` makes of an env file, for the service-table and settings tests."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from airkit.stack import line, project


def _compose_available() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "compose", "version"], capture_output=True).returncode == 0


# AIRKIT_REQUIRE_COMPOSE=1 (CI, once the engine is installed) turns the skip into a failure.
needs_compose = pytest.mark.skipif(
    not _compose_available() and os.environ.get("AIRKIT_REQUIRE_COMPOSE") != "1",
    reason="no `docker compose` (v2) binary: `make docker-engine` installs one")


def compose_config(env_file: Path, profiles: str = "flower", overlays: str = "") -> dict:
    """`docker compose config` of this line's stack (every optional profile on; `overlays`:
    compose/overlays files on top) as a dict."""
    env = {k: v for k, v in os.environ.items() if k not in {"COMPOSE_OVERLAYS", "PROFILES", "COMPOSE_PROJECT"}}
    result = subprocess.run([str(project.root() / "compose" / "bin" / "dc"), "config", "--format", "json"],
                            env={**env, "ENV_FILE": str(env_file), "PROFILES": profiles,
                                 "COMPOSE_OVERLAYS": overlays, "AIRFLOW_LINE": str(line.MAJOR)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
