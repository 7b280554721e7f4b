"""A throwaway PostgreSQL 15 cluster: initdb in a temp dir, 127.0.0.1:<free port>, trust auth.

For unit tests (the plugin's `pg_dsn` fixture) and the load benchmark. Durability is off
(fsync, full_page_writes, synchronous_commit): a throwaway cluster loses nothing by it, and on a
shared disk the fsyncs would cost seconds and add noise to benchmark ratios.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from airkit.stack.ports import free_port

PG_BIN = Path(os.environ.get("AIRKIT_PG_BIN", "/usr/lib/postgresql/15/bin"))


class ThrowawayPostgres:
    def __init__(self) -> None:
        missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).is_file()]
        if missing:
            raise RuntimeError(f"PostgreSQL binaries {missing} not in {PG_BIN}: install the Debian package "
                               "postgresql-15 (`sudo make deps`), or name a database (AIRKIT_TEST_PG_DSN)")
        self.root = Path(tempfile.mkdtemp(prefix="airkit-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: run them as the 'postgres' system user.
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres", group="postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            log = self.root / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}{tail}")

    def start(self) -> str:
        """Start it; returns its libpq URI."""
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"),
                  "-o", options, "-w", "-t", "120", "start")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self.as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                            "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.root, ignore_errors=True)
