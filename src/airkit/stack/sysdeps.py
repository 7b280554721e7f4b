#!/usr/bin/env python3
"""The local runtime's system packages: which binaries it needs, and installing them.

Stdlib only, so `make deps` can run it before any virtualenv exists:
    python3 src/airkit/stack/sysdeps.py install     # apt-get, as root
    python3 src/airkit/stack/sysdeps.py check       # exit 1 and say what is missing
`make up RUNTIME=local` calls ensure(): as root with apt it installs what is missing itself,
otherwise it stops with the one command to run. The browser test (tests/integration/ui) and
`make screenshots` call ensure_browser() the same way for Debian's chromium: Playwright cannot
download its own browser here, and no stack needs one, so `make deps` leaves it out. The metrics
tests get promtool (Debian's prometheus) through ensure_promtool(), for the same reason.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
#: Debian package -> the binaries of it the local runtime runs.
PACKAGES: dict[str, tuple[Path | str, ...]] = {
    "postgresql-15": (PG_BIN / "postgres", PG_BIN / "initdb"),
    "redis-server": ("redis-server",),
    # setpriv: PostgreSQL refuses root, so a root launcher drops to the postgres user.
    "util-linux": ("setpriv",),
}
#: Debian package -> the binaries of it the browser test and `make screenshots` run.
BROWSER_PACKAGES: dict[str, tuple[Path | str, ...]] = {"chromium": (Path("/usr/bin/chromium"),)}
CHROMIUM = BROWSER_PACKAGES["chromium"][0]
#: Debian package -> the binary the metrics tests check the Prometheus config with (no stack
#: runs Prometheus itself: the `observability` compose profile uses the official image).
PROMTOOL_PACKAGES: dict[str, tuple[Path | str, ...]] = {"prometheus": ("promtool",)}
# The Debian packages start system-wide servers; the stack runs its own on its own ports.
_SYSTEM_SERVICES = {"redis-server": "redis-server", "postgresql-15": "postgresql", "prometheus": "prometheus"}


class MissingSystemPackages(RuntimeError):
    pass


def _present(binary: Path | str) -> bool:
    return Path(binary).is_file() if isinstance(binary, Path) else shutil.which(binary) is not None


def missing(packages: dict[str, tuple[Path | str, ...]] | None = None) -> list[str]:
    """The packages (default: the local runtime's) some binary of which is absent."""
    wanted = PACKAGES if packages is None else packages  # read at call time: tests swap PACKAGES
    return [pkg for pkg, binaries in wanted.items() if not all(map(_present, binaries))]


def install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        result = subprocess.run(argv, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise MissingSystemPackages(f"`{' '.join(argv)}` failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    for package in packages:
        if package in _SYSTEM_SERVICES:
            subprocess.run(["service", _SYSTEM_SERVICES[package], "stop"], capture_output=True)


def ensure(say: Callable[[str], None] = print) -> None:
    """Install what is missing when we can (root, apt), else say the one command to run."""
    lacking = missing()
    _ensure(lacking, "the local runtime's system packages", say,
            f"the local runtime needs the Debian packages {', '.join(lacking)}: run `sudo make deps` "
            "(or use RUNTIME=compose)")


def ensure_browser(say: Callable[[str], None] = print) -> Path:
    """The chromium Playwright drives, installed as ensure() installs the stack's packages."""
    lacking = missing(BROWSER_PACKAGES)
    _ensure(lacking, "the browser of the UI test and screenshots", say,
            f"the UI test and `make screenshots` need Debian's {' '.join(lacking)} ({CHROMIUM}): "
            f"run `sudo apt-get install {' '.join(lacking)}`")
    return CHROMIUM


def ensure_promtool(say: Callable[[str], None] = print) -> str:
    """promtool, installed as ensure() installs the stack's packages."""
    lacking = missing(PROMTOOL_PACKAGES)
    _ensure(lacking, "promtool for the Prometheus config check", say,
            "the Prometheus config check needs Debian's promtool: run `sudo apt-get install prometheus`")
    return shutil.which("promtool") or "promtool"


def _ensure(lacking: list[str], what: str, say: Callable[[str], None], refusal: str) -> None:
    if not lacking:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"installing {what}: {' '.join(lacking)} (apt-get)")
        install(lacking)
        return
    raise MissingSystemPackages(refusal)


def main(argv: list[str]) -> int:
    if argv[1:] == ["install"]:
        if os.geteuid() != 0:
            print("make deps installs Debian packages with apt-get: run it as root (sudo make deps)", file=sys.stderr)
            return 1
        try:
            install(list(PACKAGES))
        except MissingSystemPackages as exc:
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1
        return 0
    lacking = missing()
    if lacking:
        print(f"missing: {' '.join(lacking)} (install with `sudo make deps`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
