"""The Airflow line a stack runs, and the settings that differ between lines, in one place.

The line is the installed Airflow's: each line has its own lock and venv (`make
AIRFLOW_LINE=3|2`), and a compose image is built from the same lock as the venv that drives it.
The env file names Airflow options the way Airflow 3 (the default line) does, so `airflow
config lint` on 3.3 finds nothing in it; `airflow_env()` hands a 2.11 process the same values
under the names 2.11 reads, plus the few settings only one line needs.
"""
from __future__ import annotations

import sys
from importlib.metadata import version

#: The installed apache-airflow (metadata only: importing Airflow costs seconds of CPU).
VERSION = version("apache-airflow")
MAJOR = int(VERSION.split(".")[0])

#: Option name on Airflow 3 -> the same option on Airflow 2.11 (`airflow config lint`, 3.3.2).
RENAMED_ON_2 = {
    "AIRFLOW__API__BASE_URL": "AIRFLOW__WEBSERVER__BASE_URL",
    "AIRFLOW__API__SECRET_KEY": "AIRFLOW__WEBSERVER__SECRET_KEY",
    "AIRFLOW__API__EXPOSE_CONFIG": "AIRFLOW__WEBSERVER__EXPOSE_CONFIG",
    "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "AIRFLOW__SCHEDULER__PARSING_PROCESSES",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "AIRFLOW__SCHEDULER__SCHEDULER_ZOMBIE_TASK_THRESHOLD",
    "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL":
        "AIRFLOW__SCHEDULER__ZOMBIE_DETECTION_INTERVAL",
    "AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": "AIRFLOW__SCHEDULER__CHILD_PROCESS_LOG_DIRECTORY",
}

#: What every stack of a line needs and no env file carries. An env file value wins.
LINE_SETTINGS: dict[int, dict[str, str]] = {
    2: {
        # REST API v1 with basic auth for scripts and tests, the session for the UI. (Airflow 3
        # has no basic auth on /api/v2: clients get a JWT from /auth/token.)
        "AIRFLOW__API__AUTH_BACKENDS": "airflow.api.auth.backend.basic_auth,airflow.api.auth.backend.session",
        # Gunicorn processes behind the 2.11 webserver [4], ~150 MiB each; 2 serve one team well.
        # (Airflow 3's api-server is one uvicorn process by default, [api] workers.)
        "AIRFLOW__WEBSERVER__WORKERS": "2",
    },
    3: {},
}

#: The metadata DB's column of a DAG run's logical date (for tests and tools that query it).
DAG_RUN_DATE_COLUMN = "logical_date" if MAJOR >= 3 else "execution_date"


def airflow_env(values: dict[str, str], major: int = MAJOR) -> dict[str, str]:
    """`values` (env file plus derived settings) as an Airflow process of line `major` reads them."""
    if major >= 3:
        return {**LINE_SETTINGS[3], **values}
    renamed = {RENAMED_ON_2.get(key, key): value for key, value in values.items()}
    return {**LINE_SETTINGS[2], **renamed}


def main(argv: list[str]) -> int:
    """`python -m airkit.stack.line COMMAND...`: exec COMMAND with the environment as this line's
    Airflow reads it (the compose image's entrypoint; the local runtime calls airflow_env())."""
    import os

    if not argv:
        print("usage: python -m airkit.stack.line COMMAND [ARG...]", file=sys.stderr)
        return 2
    os.execvpe(argv[0], argv, airflow_env(dict(os.environ)))
    return 1  # not reached: execvpe replaces this process or raises


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
