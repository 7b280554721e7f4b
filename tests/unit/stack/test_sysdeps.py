"""What the local runtime needs from the system, and what it says when it cannot install it."""
from __future__ import annotations

import pytest

from airkit.stack import sysdeps


def test_a_package_whose_binary_is_absent_is_missing(monkeypatch, tmp_path):
    monkeypatch.setitem(sysdeps.PACKAGES, "postgresql-15", (tmp_path / "postgres",))
    monkeypatch.setitem(sysdeps.PACKAGES, "coreutils", ("ls",))
    lacking = sysdeps.missing()
    assert "postgresql-15" in lacking and "coreutils" not in lacking


def test_without_root_it_names_the_one_command_to_run(monkeypatch, tmp_path):
    monkeypatch.setitem(sysdeps.PACKAGES, "redis-server", (tmp_path / "redis-server",))
    monkeypatch.setattr(sysdeps.os, "geteuid", lambda: 1000)
    with pytest.raises(sysdeps.MissingSystemPackages, match=r"redis-server.*sudo make deps"):
        sysdeps.ensure(say=print)


def test_nothing_missing_installs_nothing(monkeypatch):
    monkeypatch.setattr(sysdeps, "PACKAGES", {"coreutils": ("ls",)})
    monkeypatch.setattr(sysdeps, "install", lambda packages: pytest.fail(f"installed {packages}"))
    sysdeps.ensure(say=print)


def test_without_root_a_missing_promtool_names_its_package(monkeypatch, tmp_path):
    monkeypatch.setitem(sysdeps.PROMTOOL_PACKAGES, "prometheus", (tmp_path / "promtool",))
    monkeypatch.setattr(sysdeps.os, "geteuid", lambda: 1000)
    with pytest.raises(sysdeps.MissingSystemPackages, match=r"apt-get install prometheus"):
        sysdeps.ensure_promtool(say=print)
