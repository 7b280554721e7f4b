"""The Docker Compose runtime: one compose project through `compose/bin/dc`.

Every compose invocation goes through compose/bin/dc (project, env file, files, overlays,
profiles: the one place that spells them), with the settings of this stack in its environment.
Health is Docker's: each service's healthcheck, judged here (one-shot init must exit 0).
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from airkit.stack import line, project, services, workerdrain
from airkit.stack.base import Stack, data_relpath
from airkit.stack.errors import StackError

DATA_DIR = "/opt/airflow/data"  # AIRKIT_DATA_DIR in the containers (the airkit-data volume)
CELERY_APP = "airflow.providers.celery.executors.celery_executor.app"
ONE_SHOT = {s.name for s in services.SERVICES if s.one_shot}


def _say(message: str) -> None:
    print(f"compose: {message}", flush=True)


@dataclass
class ComposeProject:
    """What selects one compose project: the variables compose/bin/dc reads."""

    #: Per line by default: a 2.11 metadata volume is not a 3.3 one.
    name: str = f"airkit-airflow{line.MAJOR}"
    overlays: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    logs_dir: Path | None = None  # AIRKIT_LOGS_DIR (task logs); None: the checkout's logs/

    @classmethod
    def from_environment(cls) -> ComposeProject:
        logs = os.environ.get("AIRKIT_LOGS_DIR")
        return cls(os.environ.get("COMPOSE_PROJECT") or cls.name, os.environ.get("COMPOSE_OVERLAYS", "").split(),
                   os.environ.get("PROFILES", "").split(), Path(logs) if logs else None)


class ComposeStack(Stack):
    runtime = "compose"

    def __init__(self, env_file: Path, compose: ComposeProject | None = None, dags_dir: Path | None = None):
        super().__init__(env_file)
        self.project = compose or ComposeProject.from_environment()
        self._dags = Path(dags_dir).resolve() if dags_dir else project.dags_dir()
        self.dc = project.root() / "compose" / "bin" / "dc"

    @property
    def dags_folder(self) -> Path:
        return self._dags

    def dc_env(self) -> dict[str, str]:
        env = {**os.environ, "ENV_FILE": str(self.env_file), "COMPOSE_PROJECT": self.project.name,
               "COMPOSE_OVERLAYS": " ".join(self.project.overlays), "PROFILES": " ".join(self.project.profiles),
               "AIRKIT_DAGS_DIR": str(self._dags),
               # The image and components of the line this interpreter's venv runs.
               "AIRFLOW_LINE": str(line.MAJOR)}
        if self.project.logs_dir is not None:
            env["AIRKIT_LOGS_DIR"] = str(self.project.logs_dir)
        return env

    def make_env(self) -> dict[str, str]:
        keys = ("ENV_FILE", "COMPOSE_PROJECT", "COMPOSE_OVERLAYS", "PROFILES", "AIRKIT_DAGS_DIR", "AIRKIT_LOGS_DIR")
        env = self.dc_env()
        return {"RUNTIME": "compose", **{k: env[k] for k in keys if k in env}}

    def compose(self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None,
                ) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.dc), *args], env=self.dc_env(), capture_output=True, text=True,
                                timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise StackError(f"docker compose {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout[-2000:]}{result.stderr[-3000:]}")
        return result

    def ps(self, service: str | None = None) -> list[dict]:
        """Every container of the project (exited ones too) as `docker compose ps --format json` rows."""
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

    # --- health ------------------------------------------------------------------------------
    def health(self) -> dict[str, str]:
        """Container -> "healthy" or what is wrong: a one-shot must have exited 0, every other
        container must run and (with a healthcheck) be healthy."""
        rows = self.ps()
        if not rows:
            return {"project": "no containers"}
        report = {}
        for r in rows:
            state, health = r.get("State", ""), r.get("Health", "")
            if r.get("Service") in ONE_SHOT:
                code = r.get("ExitCode", 1)
                report[r["Name"]] = ("healthy" if code == 0 else f"exited {code}") if state == "exited" else state
            elif state == "running" and health in ("healthy", ""):
                report[r["Name"]] = "healthy"
            else:
                report[r["Name"]] = health or state
        return report

    poll_interval = 2.0

    def failed(self, pending: dict[str, str]) -> dict[str, str]:
        """Unhealthy, dead or exited containers: Docker will not make them healthy by waiting."""
        return {k: v for k, v in pending.items() if v in ("unhealthy", "dead") or v.startswith("exited")}

    def describe(self, pending: dict[str, str] | None = None, lines: int = 60) -> str:
        """The last log lines and healthcheck output of every container that is not fine."""
        try:
            pending = pending if pending is not None else {
                k: v for k, v in self.health().items() if v != "healthy"}
        except Exception as exc:  # noqa: BLE001 - a report must never hide the real failure
            return f"(could not list containers: {exc})"
        if not pending:
            return "every container running and healthy"
        parts = []
        for name, what in pending.items():
            logs = subprocess.run(["docker", "logs", "--tail", str(lines), name], capture_output=True, text=True)
            check = subprocess.run(["docker", "inspect", "-f", "{{if .State.Health}}{{range .State.Health.Log}}"
                                    "exit {{.ExitCode}}: {{.Output}}\n{{end}}{{end}}", name],
                                   capture_output=True, text=True)
            parts.append(f"----- {name}: {what} -----\n{logs.stdout}{logs.stderr}"
                         f"--- healthcheck ---\n{check.stdout.strip()[-1500:]}")
        return "\n".join(parts)

    @staticmethod
    def _inspect(container: str, template: str) -> str:
        return subprocess.run(["docker", "inspect", "-f", template, container],
                              capture_output=True, text=True, check=True).stdout.strip()

    def wait_service_health(self, container: str, want: str, timeout: float = 300) -> str:
        """Poll one container's health status until it is `want`; returns the last healthcheck output."""
        deadline = time.monotonic() + timeout
        while True:
            state = json.loads(self._inspect(container, "{{json .State.Health}}"))
            log = (state.get("Log") or [{}])[-1].get("Output", "").strip()
            if state.get("Status") == want:
                return log
            if time.monotonic() > deadline:
                raise AssertionError(f"{container} still {state.get('Status')!r}, not {want!r}, after "
                                     f"{timeout:.0f}s; last healthcheck: {log}")
            time.sleep(2)

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 600) -> None:
        started = time.monotonic()
        if self.project.logs_dir is not None:
            # Created by us, not by the engine as root, so the host user can remove it later;
            # written by the containers' AIRFLOW_UID.
            self.project.logs_dir.mkdir(parents=True, exist_ok=True)
            self.project.logs_dir.chmod(0o777)
        _say(f"starting project {self.project.name}")
        self.compose("up", "-d", "--remove-orphans", timeout=900)
        self.wait_healthy(timeout - (time.monotonic() - started), say=_say)
        _say(f"healthy after {time.monotonic() - started:.0f}s")

    def stop(self, remove_state: bool = False) -> None:
        if not remove_state:
            self.compose("down", "--remove-orphans", check=False, timeout=300)
            return
        # Task logs and landing files belong to AIRFLOW_UID; delete them from inside.
        self.compose("run", "--rm", "--no-deps", "--user", "0:0", "--entrypoint", "sh", "airflow-init",
                     "-c", "rm -rf /opt/airflow/logs/* /opt/airflow/data/*", check=False, timeout=300)
        # No grace: a worker's warm shutdown would wait for tasks whose every trace goes with the volumes.
        self.compose("down", "-v", "--remove-orphans", "--timeout", "0", check=False, timeout=300)
        if self.project.logs_dir is not None and self.project.logs_dir.exists():
            import shutil

            shutil.rmtree(self.project.logs_dir, ignore_errors=True)

    def scale_workers(self, workers: int, timeout: float = 600) -> None:
        """Start workers, or drain and remove the newest, until `workers` run; then wait until
        each is healthy. A worker taken away finishes its tasks first (airkit.stack.workerdrain),
        so scaling in fails none of them."""
        running = self.containers("airflow-worker")
        for name in running[workers:]:
            node = f"celery@{self._inspect(name, '{{.Config.Hostname}}')}"
            workerdrain.drain(self.endpoints.broker_url, node, timeout)
            subprocess.run(["docker", "stop", name], capture_output=True, check=True, timeout=timeout)
            subprocess.run(["docker", "rm", name], capture_output=True, check=True, timeout=60)
        if len(running) < workers:
            self.compose("up", "-d", "--no-recreate", "--scale", f"airflow-worker={workers}", timeout=timeout)
        for name in self.containers("airflow-worker"):
            self.wait_service_health(name, "healthy", timeout)

    def status(self) -> int:
        print(self.compose("ps", "-a", "--format", "table {{.Name}}\t{{.Service}}\t{{.Status}}\t{{.Ports}}",
                           check=False).stdout.rstrip())
        return 0 if all(v == "healthy" for v in self.health().values()) else 1

    def airflow(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        # `exec` skips the image's entrypoint, which gives Airflow the option names of its line.
        return self.compose("exec", "-T", "airflow-scheduler", "entrypoint", "airflow", *args, check=False,
                            timeout=timeout)

    def celery(self, service: str, *args: str, timeout: float = 120, index: int = 1) -> subprocess.CompletedProcess:
        """The celery CLI (Airflow's Celery app) inside a container of `service`."""
        return self.compose("exec", "-T", "--index", str(index), service, "celery", "--app", CELERY_APP, *args,
                            check=False, timeout=timeout)

    def logs(self, service: str, lines: int = 80) -> str:
        result = self.compose("logs", "--no-color", "--tail", str(lines), service, check=False)
        return result.stdout + result.stderr

    def restart(self, service: str, timeout: float = 300) -> None:
        self.compose("restart", services.get(service).name, timeout=timeout)
        self.wait_healthy(timeout, say=_say)

    def kill(self, service: str) -> None:
        """SIGKILL every container of the service. Docker does not restart a container killed this
        way (a manual stop); start_service() brings it back."""
        self.compose("kill", "-s", "KILL", services.get(service).name)

    def start_service(self, service: str, timeout: float = 300) -> None:
        self.compose("up", "-d", "--no-recreate", "--no-deps", services.get(service).name, timeout=timeout)
        self.wait_healthy(timeout, say=_say)

    # --- landing files (the airkit-data volume every worker shares) -----------------------------
    def write_data_file(self, relpath: str, text: str) -> None:
        path = f"{DATA_DIR}/{data_relpath(relpath)}"
        self.compose("exec", "-T", "airflow-worker", "sh", "-c", 'mkdir -p "$(dirname "$1")" && cat > "$1"',
                     "sh", path, input=text)

    def read_data_file(self, relpath: str) -> str:
        return self.compose("exec", "-T", "airflow-worker", "cat", f"{DATA_DIR}/{data_relpath(relpath)}").stdout
