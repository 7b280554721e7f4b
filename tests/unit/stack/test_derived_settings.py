"""Both runtimes get the settings airkit.stack.settings derives, for the same env file.

Compose spells them in docker-compose.yaml (`x-airflow-derived-env`); the local runtime takes them
from derived_env(). They may differ only in where a component is reached (service name and
container port vs. published host:port); a value changed on one side only fails here.
"""
from __future__ import annotations

import pytest

from airkit.stack import envfile, line, services
from airkit.stack.processes import ProcessStack
from airkit.stack.settings import DERIVED_KEYS, View, derived_env
from tests.unit.stack.composecfg import compose_config, needs_compose


def _normalised(env: dict[str, str], runtime: str, values: dict[str, str]) -> dict[str, str]:
    """The settings with each component's endpoint replaced by its name."""
    view = View(runtime, values)
    env = dict(env)
    # Airflow takes the SMTP endpoint as two settings.
    env["smtp endpoint"] = f"{env.pop('AIRFLOW__SMTP__SMTP_HOST')}:{env.pop('AIRFLOW__SMTP__SMTP_PORT')}"
    out = {}
    for key, value in env.items():
        for service in services.SERVICES:
            for port_key in service.ports:
                value = value.replace(view.endpoint(service.name, port_key), f"<{service.name}:{port_key}>")
        out[key] = value
    return out


def test_both_views_derive_the_same_settings_but_for_endpoints(env_values):
    local, compose = derived_env(env_values, "local"), derived_env(env_values, "compose")
    assert set(local) == set(compose) == set(DERIVED_KEYS)
    assert _normalised(local, "local", env_values) == _normalised(compose, "compose", env_values)


def test_the_local_runtime_gives_its_processes_the_derived_settings(env_file, env_values, tmp_path):
    stack = ProcessStack(env_file, tmp_path / "state", dags_dir=tmp_path)
    # Under the option names of the installed line (identity on Airflow 3).
    expected = line.airflow_env(derived_env(env_values, "local"))
    assert {k: stack.env.get(k) for k in expected} == expected


@needs_compose
@pytest.mark.parametrize("overrides", [{}, {"SENTRY_DSN": "https://key@sentry.invalid/7",
                                            "AIRFLOW__SMTP__SMTP_HOST": "relay.invalid"}],
                         ids=["sinks", "real-alert-targets"])
def test_compose_config_gives_every_airflow_service_the_derived_settings(env_file, overrides):
    if overrides:
        env_file.write_text(env_file.read_text() + "".join(f"{k}={v}\n" for k, v in overrides.items()))
    values = envfile.parse(env_file)
    expected = derived_env(values, "compose")
    config = compose_config(env_file)
    for service in services.for_runtime("compose"):
        if not service.is_airflow and service.name != "airflow-init":
            continue
        environment = config["services"][service.name]["environment"]
        got = {k: environment.get(k) for k in expected}
        assert got == expected, f"{service.name} differs from derived_env(): " + ", ".join(
            k for k in expected if got[k] != expected[k])
