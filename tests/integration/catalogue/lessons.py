"""Helpers for the lesson-DAG tests: task states and make targets on the live stack."""
from __future__ import annotations

import os
import subprocess

from tenacity import Retrying, retry_if_result, stop_after_delay, wait_fixed

from airkit.stack import project


def wait_for_task_state(stack, dag_id: str, run_id: str, task_id: str, states: set[str],
                        timeout: float = 240) -> str:
    """Poll (bounded) until the task instance is in one of `states`; return that state."""
    def state() -> str | None:
        # None until the scheduler has created the run's task instances.
        return (stack.api.task_instances(dag_id, run_id).get(task_id) or {}).get("state")

    try:
        return Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2),
                        retry=retry_if_result(lambda s: s not in states))(state)
    except Exception:  # tenacity.RetryError
        raise AssertionError(f"{dag_id}/{run_id}/{task_id} never reached {sorted(states)} in {timeout:.0f}s\n"
                             + stack.api.report(dag_id, run_id)) from None


def make(stack, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run a make target against this stack, the way a developer would."""
    env = {**os.environ, **stack.make_env()}
    result = subprocess.run(["make", "--no-print-directory", *args], cwd=project.root(), env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"make {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result
