"""A stack of its own: its env file (fresh secrets, free ports), state and logs in one folder.

The pytest plugin's isolated stack, the benchmarks' and the upgrade check's stacks are all this
one, so what "isolated" means is said once.
"""
from __future__ import annotations

import os
from pathlib import Path

from airkit.stack import line, open_stack, project, settings

#: Dev timings for the harness' own stacks. A DAG file a test adds (or removes) is seen in
#: seconds, not after the .env.example's 30 s listing interval (a directory listing is cheap).
#: A killed task is failed (and retried) after 30 s without a heartbeat, not 60: six missed
#: 5 s heartbeats still separate a dead task from a busy machine. The scheduler sleeps 1 s when
#: idle, not the example's 0.1: the suite keeps both cores busy, and a scheduler spinning ten
#: times a second takes CPU from the tasks it waits for (local 3.3 suite on 2 cores: 606 s at 1,
#: 613 s at 0.1, with the machine 62% busy instead of 77%).
HARNESS_SETTINGS = {"AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
                    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
                    "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "1"}


def isolated_stack(runtime: str, state: Path, dags_dir: Path | None = None,
                   overrides: dict[str, str | None] | None = None):
    """The stack of `runtime` living in `state`, loading `dags_dir`. `overrides` are env file
    values on top of the harness's (None drops the example's line: the Airflow default applies).
    Reopens a kept one (its env file, with the secrets its databases were made with, is reused)."""
    env_file = settings.isolated_env_file(project.env_example(), state / ".env",
                                          {**HARNESS_SETTINGS, "AIRFLOW_LINE": str(line.MAJOR), **(overrides or {})})
    if runtime == "compose":
        from airkit.stack.compose import ComposeProject

        # Its own project name (never the developer's `airkit`, whose volumes it would share) and
        # fast healthchecks, so health changes show in seconds.
        compose = ComposeProject(name=os.environ.get("AIRKIT_TEST_PROJECT", f"airkit-test-airflow{line.MAJOR}"),
                                 overlays=os.environ.get("AIRKIT_TEST_COMPOSE_OVERLAYS",
                                                         "compose/overlays/fast-healthchecks.yaml").split(),
                                 logs_dir=state / "logs")
        return open_stack("compose", env_file, compose_project=compose, dags_dir=dags_dir)
    return open_stack("local", env_file, state_dir=state / "state", dags_dir=dags_dir)
