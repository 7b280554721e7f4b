"""The Docker Compose runtime as a Stack (see stacks.py), started and removed through pytest-docker.

Isolated stacks (the default): conftest.py points pytest-docker's fixtures at compose_settings():
project AIRKIT_TEST_PROJECT (default airkit-test, never the developer's `airkit`, so its volumes
are never touched), the isolated env file, task logs under the test state dir instead of the
repo's logs/, and the overlays in AIRKIT_TEST_COMPOSE_OVERLAYS (default: fast healthchecks, so
health changes show in seconds). pytest-docker runs `up -d`; start() then waits (bounded, with
progress) until every service is healthy and fails with the unhealthy services' logs otherwise;
pytest-docker runs `down -v` at the end unless KEEP_STACK=1.

AIRKIT_STACK=running: the developer's project (COMPOSE_PROJECT, COMPOSE_OVERLAYS, PROFILES as
`make` uses them), never started or stopped here.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from stacks import REPO, Stack

DC = REPO / "compose" / "bin" / "dc"
UP = REPO / "compose" / "bin" / "up"
COMPOSE_FILE = REPO / "compose" / "docker-compose.yaml"
DATA_DIR = "/opt/airflow/data"  # AIRKIT_DATA_DIR in the containers (airkit-data volume)
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"
ONE_SHOT = {"airflow-init"}
SERVICES = ("postgres", "redis", "airflow-init", "airflow-webserver", "airflow-scheduler",
            "airflow-worker", "airflow-triggerer", "events-api")


@dataclass
class ComposeSettings:
    """One compose invocation: `docker compose --env-file E -p P -f ...` plus the environment
    (image choices, logs dir) it needs. The same for pytest-docker and for ComposeStack."""

    env_file: Path
    project: str
    overlays: list[Path] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    logs_dir: Path | None = None

    @classmethod
    def isolated(cls, env_file: Path, project: str) -> "ComposeSettings":
        overlays = os.environ.get("AIRKIT_TEST_COMPOSE_OVERLAYS", "compose/overlays/fast-healthchecks.yaml")
        return cls(Path(env_file).resolve(), project, [_repo_path(o) for o in overlays.split()],
                   logs_dir=Path(env_file).resolve().parent / "logs")

    @classmethod
    def running(cls, env_file: Path, project: str) -> "ComposeSettings":
        logs = os.environ.get("AIRKIT_LOGS_DIR")
        return cls(Path(env_file).resolve(), project,
                   [_repo_path(o) for o in os.environ.get("COMPOSE_OVERLAYS", "").split()],
                   os.environ.get("PROFILES", "").split(), Path(logs) if logs else None)

    @property
    def files(self) -> list[Path]:
        return [COMPOSE_FILE, *self.overlays]

    def env(self) -> dict[str, str]:
        """Variables `docker compose` must see besides --env-file: ENV_FILE, the image choices of
        compose/bin/dc (stand-ins on CI) and where task logs go."""
        picked = subprocess.run([str(DC), "--print-env"], env={**os.environ, "AIRKIT_DC_QUIET": "1",
                                "ENV_FILE": str(self.env_file)}, capture_output=True, text=True, check=True)
        env = dict(line.split("=", 1) for line in picked.stdout.splitlines() if "=" in line)
        # The compose file's `env_file:` reads ${ENV_FILE}: without it the containers would get
        # the developer's ../.env while --env-file interpolates the isolated one.
        env["ENV_FILE"] = str(self.env_file)
        if self.logs_dir is not None:
            env["AIRKIT_LOGS_DIR"] = str(self.logs_dir)
        return env

    def command_prefix(self) -> str:
        """For pytest-docker's docker_compose_command (it appends -f/-p/subcommand itself)."""
        assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env().items())
        profiles = "".join(f" --profile {shlex.quote(p)}" for p in self.profiles)
        return f"env {assigns} docker compose --env-file {shlex.quote(str(self.env_file))}{profiles}"

    def argv(self) -> list[str]:
        argv = ["docker", "compose", "--env-file", str(self.env_file), "-p", self.project]
        for f in self.files:
            argv += ["-f", str(f)]
        for p in self.profiles:
            argv += ["--profile", p]
        return argv

    def dc_env(self) -> dict[str, str]:
        """Environment under which compose/bin/dc (and compose/bin/up) give the same invocation."""
        return {**os.environ, **self.env(), "ENV_FILE": str(self.env_file), "COMPOSE_PROJECT": self.project,
                "COMPOSE_OVERLAYS": " ".join(map(str, self.overlays)), "PROFILES": " ".join(self.profiles)}


def _repo_path(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else REPO / p


class ComposeStack(Stack):
    runtime = "compose"

    def __init__(self, env_file: Path, project: str, docker_services=None):
        super().__init__(env_file)
        # docker_services (pytest-docker) is given for the isolated stack it manages.
        self.isolated = docker_services is not None
        self.docker_services = docker_services
        self.settings = (ComposeSettings.isolated if self.isolated else ComposeSettings.running)(env_file, project)
        self._env = {**os.environ, **self.settings.env()}

    # --- plumbing ----------------------------------------------------------------------------
    def compose(self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None,
                ) -> subprocess.CompletedProcess:
        result = subprocess.run([*self.settings.argv(), *args], env=self._env, capture_output=True,
                                text=True, timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise RuntimeError(f"docker compose {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout[-2000:]}{result.stderr[-3000:]}")
        return result

    def ps(self, service: str | None = None) -> list[dict]:
        """Every container of the project (also exited ones) as `docker compose ps --format json` rows."""
        out = self.compose("ps", "-a", "--format", "json", *([service] if service else [])).stdout
        rows: list[dict] = []
        for line in out.splitlines():
            if line.strip():
                data = json.loads(line)
                rows.extend(data if isinstance(data, list) else [data])
        return rows

    def containers(self, service: str) -> list[str]:
        """Names of the running containers of a service, by replica number."""
        names = [r["Name"] for r in self.ps(service) if r.get("State") == "running"]
        return sorted(names, key=lambda n: int(n.rsplit("-", 1)[-1]) if n.rsplit("-", 1)[-1].isdigit() else 0)

    def unhealthy(self) -> dict[str, str]:
        """Container -> what is wrong with it, for every container that is not fine."""
        bad = {}
        for r in self.ps():
            state, health = r.get("State", ""), r.get("Health", "")
            if r.get("Service") in ONE_SHOT:
                if state == "exited" and r.get("ExitCode", 1) != 0:
                    bad[r["Name"]] = f"exited {r.get('ExitCode')}"
            elif state != "running" or health not in ("healthy", ""):
                bad[r["Name"]] = health or state
        return bad

    def unhealthy_report(self, lines: int = 60) -> str:
        """The last log lines and healthcheck output of every container that is not fine."""
        try:
            bad = self.unhealthy()
        except Exception as exc:  # noqa: BLE001 - a report must never hide the real failure
            return f"(could not list containers: {exc})"
        if not bad:
            return "all containers running and healthy"
        parts = []
        for name, what in bad.items():
            logs = subprocess.run(["docker", "logs", "--tail", str(lines), name], capture_output=True, text=True)
            health = subprocess.run(["docker", "inspect", "-f", "{{if .State.Health}}{{range .State.Health.Log}}"
                                     "exit {{.ExitCode}}: {{.Output}}\n{{end}}{{end}}", name],
                                    capture_output=True, text=True)
            parts.append(f"----- {name}: {what} -----\n{logs.stdout}{logs.stderr}"
                         f"--- healthcheck ---\n{health.stdout.strip()[-1500:]}")
        return "\n".join(parts)

    def wait_healthy(self, timeout: float = 600) -> None:
        """compose/bin/up --no-up: bounded wait with progress; on failure, the unhealthy services' logs."""
        env = {**self.settings.dc_env(), "COMPOSE_UP_TIMEOUT": str(int(timeout))}
        result = subprocess.run([str(UP), "--no-up"], env=env, capture_output=True, text=True,
                                timeout=timeout + 120)
        if result.returncode != 0:
            raise RuntimeError(f"compose stack {self.settings.project} not healthy:\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-12000:]}")

    def wait_service_health(self, container: str, want: str, timeout: float = 300) -> str:
        """Poll one container's health status until it is `want`; returns the last healthcheck output."""
        deadline = time.monotonic() + timeout
        while True:
            state = json.loads(subprocess.run(["docker", "inspect", "-f", "{{json .State.Health}}", container],
                                              capture_output=True, text=True, check=True).stdout)
            log = (state.get("Log") or [{}])[-1].get("Output", "").strip()
            if state.get("Status") == want:
                return log
            if time.monotonic() > deadline:
                raise AssertionError(f"{container} still {state.get('Status')!r}, not {want!r}, after "
                                     f"{timeout:.0f}s; last healthcheck: {log}")
            time.sleep(2)

    # --- Stack API -----------------------------------------------------------------------------
    def start(self) -> None:
        if self.settings.logs_dir is not None:
            # Created by us, not by the engine as root, so the host user can remove it later.
            self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        if not self.isolated:
            self.compose("up", "-d", "--remove-orphans", timeout=900)
        self.wait_healthy(float(os.environ.get("UP_TIMEOUT") or os.environ.get("COMPOSE_UP_TIMEOUT") or 600))

    def stop(self, remove_state: bool) -> None:
        if not remove_state:
            self.compose("down", "--remove-orphans", check=False, timeout=300)
            return
        if self.settings.logs_dir is not None:
            # Task logs belong to AIRFLOW_UID; delete them from inside while a container still runs.
            self.compose("exec", "-T", "-u", "0", "airflow-scheduler", "sh", "-c", "rm -rf /opt/airflow/logs/*",
                         check=False, timeout=120)
        self.compose("down", "-v", "--remove-orphans", check=False, timeout=300)
        if self.settings.logs_dir is not None:
            shutil.rmtree(self.settings.logs_dir, ignore_errors=True)

    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return self.compose("exec", "-T", "airflow-scheduler", "airflow", *args, check=False, timeout=timeout)

    def celery(self, service: str, *args: str, timeout: float = 120, index: int = 1) -> subprocess.CompletedProcess:
        """The celery CLI (Airflow's Celery app) inside a container of `service`."""
        return self.compose("exec", "-T", "--index", str(index), service, "celery", "--app", CELERY_APP, *args,
                            check=False, timeout=timeout)

    def logs(self, service: str, lines: int = 80) -> str:
        result = self.compose("logs", "--no-color", "--tail", str(lines), service, check=False)
        return result.stdout + result.stderr

    def restart(self, service: str, timeout: float = 300) -> None:
        self.compose("restart", service, timeout=timeout)
        self.wait_healthy(timeout)

    def kill(self, service: str) -> None:
        """SIGKILL every container of the service. Docker does not restart a container killed this
        way (a manual stop); start_service() brings it back."""
        self.compose("kill", "-s", "KILL", service)

    def start_service(self, service: str, timeout: float = 300) -> None:
        self.compose("up", "-d", "--no-recreate", "--no-deps", service, timeout=timeout)
        self.wait_healthy(timeout)

    def scale_workers(self, workers: int, timeout: float = 600) -> None:
        """compose/bin/up --scale airflow-worker=N: start or remove workers, wait until all healthy."""
        env = {**self.settings.dc_env(), "COMPOSE_UP_TIMEOUT": str(int(timeout)), "AIRKIT_DC_QUIET": "1"}
        result = subprocess.run([str(UP), "--no-recreate", "--scale", f"airflow-worker={workers}"],
                                env=env, capture_output=True, text=True, timeout=timeout + 300)
        if result.returncode != 0:
            raise RuntimeError(f"scaling to {workers} workers failed:\n{result.stdout[-3000:]}\n{result.stderr[-12000:]}")

    # --- landing files (AIRKIT_DATA_DIR, the airkit-data volume every worker shares) ----------
    def write_data_file(self, relpath: str, text: str) -> None:
        path = _data_path(relpath)
        self.compose("exec", "-T", "airflow-worker", "sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1"',
                     "sh", path, input=text)

    def read_data_file(self, relpath: str) -> str:
        return self.compose("exec", "-T", "airflow-worker", "cat", _data_path(relpath)).stdout


def _data_path(relpath: str) -> str:
    rel = Path(relpath)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"data file paths are relative to the data dir and stay inside it: {relpath!r}")
    return f"{DATA_DIR}/{rel.as_posix()}"
