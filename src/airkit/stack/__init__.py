"""airkit.stack: the platform core -- one Stack interface over every runtime.

    from airkit.stack import open_stack
    stack = open_stack("local", env_file=".env")      # or "compose"
    stack.start(); stack.api.trigger(...); stack.warehouse(); stack.stop()

Runtimes: `ProcessStack` (local processes under supervisord), `ComposeStack` (Docker Compose),
`ExternalStack` (a stack someone else runs, named by URL and credentials). The components are
declared once in `services`, the settings derived from the env file once in `settings`.
Importing this package is cheap: nothing of Airflow, no database driver.
"""
from __future__ import annotations

import os
from pathlib import Path

from airkit.stack.errors import StackError

RUNTIMES = ("local", "compose")

__all__ = ["RUNTIMES", "StackError", "open_stack"]


def open_stack(runtime: str, env_file: str | os.PathLike, *, state_dir: str | os.PathLike | None = None,
               compose_project=None, dags_dir: str | os.PathLike | None = None):
    """The Stack of `runtime` for this env file (nothing is started)."""
    if runtime == "local":
        from airkit.stack.processes import ProcessStack

        from airkit.stack import line

        # Per line: a 2.11 metadata database is not a 3.3 one.
        state = Path(state_dir or os.environ.get("STATE_DIR") or Path(".state") / f"local-airflow{line.MAJOR}")
        return ProcessStack(Path(env_file), state, Path(dags_dir) if dags_dir else None)
    if runtime == "compose":
        from airkit.stack.compose import ComposeStack

        return ComposeStack(Path(env_file), compose_project, Path(dags_dir) if dags_dir else None)
    raise StackError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
