"""The service table (airkit.stack.services) is what both runtimes run.

Compose: `docker compose config` must list exactly the table's compose services, with the same
published ports, Airflow commands, dependencies, extra environment and health probes. Local: the
generated supervisord config must have one program per local service. A service added to one
runtime and not the other, or changed in one place only, fails here.
"""
from __future__ import annotations

import configparser

import pytest

from airkit.stack import services
from airkit.stack.processes import ProcessStack, control_socket
from airkit.stack.services import Accepts, Http, JobHeartbeat, WorkerQueues
from tests.unit.stack.composecfg import compose_config, needs_compose


def _healthcheck_mentions(service: services.Service) -> str:
    """What the compose healthcheck of a service must contain to run the table's probe."""
    probe = service.probe
    if isinstance(probe, Http):
        return f"localhost:{service.ports[probe.port]}{probe.path}"
    return {WorkerQueues: "airkit-worker-healthcheck", JobHeartbeat: f"airkit.stack.heartbeat {getattr(probe, 'job_type', '')}",
            Accepts: {"postgres": "pg_isready", "redis": "redis-cli ping"}.get(getattr(probe, "kind", ""), "?")
            }[type(probe)]


def test_a_service_in_one_runtime_only_says_why():
    for service in services.SERVICES:
        assert service.runtimes <= {"local", "compose"} and service.runtimes, service.name
        if len(service.runtimes) == 1:
            assert service.only_because, f"{service.name} runs only in {set(service.runtimes)}: say why"
        assert service.phase in services.PHASES, service.name


@needs_compose
def test_compose_config_has_exactly_the_tables_services(env_file):
    config = compose_config(env_file)
    assert set(config["services"]) == {s.name for s in services.for_runtime("compose")}


@needs_compose
@pytest.mark.parametrize("service", services.for_runtime("compose"), ids=lambda s: s.name)
def test_compose_config_service_matches_the_table(env_file, env_values, service):
    spec = compose_config(env_file)["services"][service.name]
    by_port_value = {env_values[key]: key for key in service.ports}
    published = {by_port_value.get(str(p["published"]), f"unknown port {p['published']}"): p["target"]
                 for p in spec.get("ports", [])}
    assert published == service.ports, "published ports (env key -> container port)"
    assert set(spec.get("depends_on", {})) == set(service.depends_on), "depends_on"
    assert spec.get("profiles", [None]) == [service.compose_profile], "profile"
    assert (spec.get("restart") == "no") == service.one_shot, "a one-shot must not restart, a service must"
    if service.is_airflow:
        assert spec["command"] == list(service.airflow_command), "Airflow command"
    for key, value in service.environment.items():
        assert spec["environment"].get(key) == value, f"environment {key}"
    if service.probe is not None:
        test = " ".join(spec["healthcheck"]["test"])
        assert _healthcheck_mentions(service) in test, f"healthcheck {test!r} does not run the table's probe"


def test_supervisord_config_has_one_program_per_local_service(env_file, tmp_path):
    stack = ProcessStack(env_file, tmp_path / "state", dags_dir=tmp_path)
    (tmp_path / "state" / "run").mkdir(parents=True)
    from airkit.stack import supervisor

    text = supervisor.render([(s, stack.argv(s)) for s in services.for_runtime("local")], stack.state_dir,
                             control_socket(stack.state_dir))
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    programs = {section.split(":", 1)[1] for section in parser.sections() if section.startswith("program:")}
    assert programs == {s.name for s in services.for_runtime("local")}
    for service in services.for_runtime("local"):
        section = parser[f"program:{service.name}"]
        if service.is_airflow:
            assert " ".join(service.airflow_command) in section["command"], service.name
        for key in service.ports:
            # On its command line, or in the Airflow setting the launcher derives from it.
            given = section["command"].split() + list(stack.process_env().values())
            assert stack.values[key] in given, f"{service.name} is not told to listen on {key}"
