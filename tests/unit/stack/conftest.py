"""Fixtures of the platform-core unit tests: a generated env file and its values."""
from __future__ import annotations

from pathlib import Path

import pytest

from airkit.stack import envfile, project, settings


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    """A fresh env file with secrets and distinct free ports, never the developer's .env."""
    return settings.isolated_env_file(project.env_example(), tmp_path / ".env")


@pytest.fixture
def env_values(env_file: Path) -> dict[str, str]:
    return envfile.parse(env_file)
