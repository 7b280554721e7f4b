"""The stack's components, declared once for both runtimes.

The local runtime's supervisord config is generated from this table (`airkit.stack.supervisor`),
and `tests/unit/stack/test_service_table.py` holds `docker compose config` against it: a service,
a published port, an Airflow command, a health probe or a dependency that one runtime has and
the table does not fails that test. A service that runs in one runtime only says why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from airkit.stack import line


@dataclass(frozen=True)
class Http:
    """Healthy when GET http://<host>:<port><path> answers 200."""

    port: str  # the env-file key of the port the probe uses
    path: str = "/health"


@dataclass(frozen=True)
class WorkerQueues:
    """Healthy when a Celery worker is subscribed to its queue(s), not merely answering ping
    (a worker that lost its consumer still pings: apache/airflow#63580). Compose runs the same
    module as its healthcheck (`airkit-worker-healthcheck` = `airkit.stack.workerhealth`)."""


@dataclass(frozen=True)
class JobHeartbeat:
    """Healthy when the Airflow job of this type has a recent heartbeat (`airkit.stack.heartbeat`,
    compose's triggerer healthcheck too)."""

    job_type: str


@dataclass(frozen=True)
class Accepts:
    """Healthy when the server accepts an authenticated connection (postgres, redis)."""

    kind: str


Probe = Http | WorkerQueues | JobHeartbeat | Accepts


@dataclass(frozen=True)
class Service:
    name: str
    #: Env-file key of each published port -> the port inside the container. The local runtime's
    #: process listens on the env-file port itself.
    ports: dict[str, int] = field(default_factory=dict)
    probe: Probe | None = None
    #: For Airflow components: the `airflow` subcommand (compose's `command:` is exactly this).
    airflow_command: tuple[str, ...] = ()
    #: Services whose health this one needs before it starts (compose `depends_on`).
    depends_on: tuple[str, ...] = ()
    #: Extra environment only this component gets (both runtimes).
    environment: dict[str, str] = field(default_factory=dict)
    runtimes: frozenset[str] = frozenset({"local", "compose"})
    #: Why a service is missing from one runtime (required when it is).
    only_because: str = ""
    #: The Airflow lines (majors) that have this component.
    lines: frozenset[int] = frozenset({2, 3})
    #: Local start order: "data" (first), "independent" (with the data: needs no metadata DB),
    #: "schema" (after migrate), "admin" (after the admin user exists).
    phase: str = "admin"
    #: Seconds a graceful stop may take before the process group is killed.
    stop_grace: int = 30
    #: Runs to completion (exit 0) instead of staying up.
    one_shot: bool = False
    #: Compose profile that enables it (optional components); None: always on.
    profile: str | None = None

    @property
    def is_airflow(self) -> bool:
        return bool(self.airflow_command)

    @property
    def compose_profile(self) -> str | None:
        """Its compose profile: the optional one, else `airflow<major>` for a one-line component
        (compose/bin/dc turns on the line's)."""
        if self.profile or len(self.lines) > 1:
            return self.profile
        return f"airflow{next(iter(self.lines))}"


# The 2.11 scheduler forks its DAG processor with its connection pool (so does any scheduler
# with `[scheduler] enable_health_check`). SQLAlchemy pre-pings a pooled connection BEFORE
# Airflow's pid guard discards it in the child, so the child's "SELECT 1" can steal the reply to
# the parent's query on the shared socket and the scheduler hangs forever in PQexec. No
# pre-ping: a connection broken by a Postgres restart fails one scheduler loop and the restart
# policy (supervisord, Docker) brings it back.
_NO_PRE_PING = {"AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_PRE_PING": "False"}

SERVICES: tuple[Service, ...] = (
    Service("postgres", ports={"POSTGRES_PORT": 5432}, probe=Accepts("postgres"), phase="data", stop_grace=60),
    Service("redis", ports={"REDIS_PORT": 6379}, probe=Accepts("redis"), phase="data"),
    Service("airflow-init", depends_on=("postgres", "redis"), runtimes=frozenset({"compose"}),
            only_because="one-shot bootstrap; the local launcher runs the same airkit.stack.bootstrap in-process",
            phase="schema", one_shot=True),
    Service("events-api", ports={"EVENTS_API_PORT": 5055}, probe=Http("EVENTS_API_PORT"), phase="independent"),
    Service("mailsink", ports={"SMTP_PORT": 1025, "SMTP_WEB_PORT": 8025}, probe=Http("SMTP_WEB_PORT"),
            phase="independent"),
    Service("sentrysink", ports={"SENTRY_SINK_PORT": 8030}, probe=Http("SENTRY_SINK_PORT"), phase="independent"),
    # UI, REST API v2 and the execution API tasks report to (Airflow 3).
    Service("airflow-apiserver", ports={"AIRFLOW_API_PORT": 8080}, probe=Http("AIRFLOW_API_PORT", "/api/v2/monitor/health"),
            airflow_command=("api-server",), depends_on=("postgres", "redis", "airflow-init"),
            lines=frozenset({3})),
    # UI and REST API v1 (Airflow 2; the same port and env key as the api-server).
    Service("airflow-webserver", ports={"AIRFLOW_API_PORT": 8080}, probe=Http("AIRFLOW_API_PORT"),
            airflow_command=("webserver",), depends_on=("postgres", "redis", "airflow-init"),
            lines=frozenset({2})),
    # Probed by its heartbeat, as its own /health server would be: that server is a forked
    # process of ~100 MiB (`[scheduler] enable_health_check`, off by default).
    Service("airflow-scheduler", probe=JobHeartbeat("SchedulerJob"), airflow_command=("scheduler",),
            depends_on=("postgres", "redis", "airflow-init"), environment=_NO_PRE_PING),
    # Celery's warm shutdown lets running tasks finish; past the grace the group is killed.
    Service("airflow-worker", probe=WorkerQueues(), airflow_command=("celery", "worker"),
            depends_on=("postgres", "redis", "airflow-init"), phase="schema", stop_grace=60),
    # No log server of its own (a forked process of ~90 MiB): the triggerer always runs beside
    # the api-server, which reads the trigger logs from the shared logs folder.
    Service("airflow-triggerer", probe=JobHeartbeat("TriggererJob"), airflow_command=("triggerer", "--skip-serve-logs"),
            depends_on=("postgres", "redis", "airflow-init"), phase="schema"),
    # Parses DAG files (Airflow 3; on 2 the scheduler does it in a child process).
    Service("airflow-dag-processor", probe=JobHeartbeat("DagProcessorJob"), airflow_command=("dag-processor",),
            depends_on=("postgres", "redis", "airflow-init"), lines=frozenset({3})),
    Service("flower", ports={"FLOWER_PORT": 5555}, probe=Http("FLOWER_PORT", "/healthcheck"),
            airflow_command=("celery", "flower"), depends_on=("postgres", "redis", "airflow-init"),
            runtimes=frozenset({"compose"}), only_because="optional monitoring UI behind the compose profile `flower`",
            profile="flower"),
)

BY_NAME = {service.name: service for service in SERVICES}
PHASES = ("data", "independent", "schema", "admin")


def for_runtime(runtime: str, major: int = line.MAJOR) -> tuple[Service, ...]:
    """The services a `runtime` stack of Airflow line `major` runs."""
    return tuple(s for s in SERVICES if runtime in s.runtimes and major in s.lines)


def web(major: int = line.MAJOR) -> Service:
    """The component serving the UI and the REST API on line `major`."""
    return next(s for s in SERVICES if "AIRFLOW_API_PORT" in s.ports and major in s.lines)


def long_running(runtime: str, major: int = line.MAJOR) -> tuple[Service, ...]:
    """What must be up and healthy in a default stack of `runtime` (no one-shots, no profiles)."""
    return tuple(s for s in for_runtime(runtime, major) if not s.one_shot and s.profile is None)


def published_port_keys() -> tuple[str, ...]:
    """Every env-file key that names a published port: what an isolated stack must choose anew."""
    keys = list(dict.fromkeys(key for service in SERVICES for key in service.ports))
    # Not published, but every worker's log server listens on it: two stacks on one host clash.
    keys += ["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"]
    return tuple(keys)


def get(name: str) -> Service:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown service {name!r}; one of {', '.join(BY_NAME)}") from None
