"""A small client for the Airflow 2 stable REST API, with bounded waits and failure reports."""
from __future__ import annotations

import ast
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, retry_if_result, stop_after_delay, wait_fixed

FINISHED = {"success", "failed"}


class RunFailed(AssertionError):
    pass


class AirflowAPI:
    def __init__(self, base_url: str, auth: tuple[str, str]):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = auth

    # --- plumbing --------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base_url}/api/v1{path}", timeout=30, **kwargs)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} -> HTTP {response.status_code}: {response.text[:1000]}")
        return response.json() if response.content else None

    # --- DAGs and runs ---------------------------------------------------------------------
    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> dict:
        """Until the scheduler has parsed the DAG file and the API knows the DAG."""
        for attempt in Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2), reraise=True,
                                retry=retry_if_exception_type((AssertionError, requests.ConnectionError))):
            with attempt:
                return self.call("GET", f"/dags/{dag_id}")
        raise AssertionError("unreachable")

    def unpause(self, dag_id: str) -> None:
        self.wait_for_dag(dag_id)
        self.call("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": False})

    def pause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": True})

    def trigger(self, dag_id: str, logical_date: str, run_id: str, conf: dict | None = None) -> dict:
        """A manual run for `logical_date` (YYYY-MM-DD), replacing an earlier run of that id."""
        self.unpause(dag_id)
        if self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}").status_code == 200:
            self.call("DELETE", f"/dags/{dag_id}/dagRuns/{run_id}")
        return self.call("POST", f"/dags/{dag_id}/dagRuns", json={
            "dag_run_id": run_id, "logical_date": f"{logical_date}T00:00:00+00:00", "conf": conf or {},
        })

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 300, expect: str | None = "success") -> str:
        """Poll (bounded) until the run finishes; on an unexpected outcome, raise with a report
        of every task instance and the failing tasks' logs."""
        try:
            state = Retrying(
                stop=stop_after_delay(timeout), wait=wait_fixed(2),
                retry=retry_if_result(lambda s: s not in FINISHED),
            )(self.run_state, dag_id, run_id)
        except Exception:  # tenacity.RetryError: still running at the deadline
            raise RunFailed(f"{dag_id}/{run_id} not finished after {timeout:.0f}s\n"
                            + self.report(dag_id, run_id)) from None
        if expect is not None and state != expect:
            raise RunFailed(f"{dag_id}/{run_id} ended {state}, expected {expect}\n" + self.report(dag_id, run_id))
        return state

    def clear(self, dag_id: str, run_id: str, task_ids: list[str] | None = None) -> None:
        """Clear the run's task instances (all, or `task_ids`) so the scheduler runs them again."""
        body: dict[str, Any] = {"dry_run": False, "dag_run_id": run_id, "reset_dag_runs": True,
                                "only_failed": False, "include_downstream": True}
        if task_ids:
            body["task_ids"] = task_ids
        self.call("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict]:
        body = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {ti["task_id"]: ti for ti in body["task_instances"]}

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        response = self.request(
            "GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}",
            headers={"Accept": "text/plain"}, params={"full_content": "true"},
        )
        if response.status_code != 200:
            raise AssertionError(f"log of {task_id} try {try_number}: HTTP {response.status_code} {response.text[:300]}")
        return response.text

    def report(self, dag_id: str, run_id: str) -> str:
        try:
            tis = self.task_instances(dag_id, run_id)
        except Exception as exc:  # noqa: BLE001 - the report must not hide the real failure
            return f"(could not list task instances: {exc})"
        lines = ["task instances:"]
        lines += [f"  {t:<24} {ti['state']} (try {ti['try_number']})" for t, ti in sorted(tis.items())]
        for task_id, ti in sorted(tis.items()):
            if ti["state"] in ("failed", "up_for_retry", "upstream_failed") and ti["try_number"]:
                try:
                    log = self.task_log(dag_id, run_id, task_id, max(ti["try_number"], 1))
                except AssertionError as exc:
                    log = str(exc)
                lines.append(f"--- log of {task_id} ---\n" + "\n".join(log.splitlines()[-60:]))
        return "\n".join(lines)

    def import_errors(self) -> list[dict]:
        return self.call("GET", "/importErrors")["import_errors"]

    def runs_on(self, logical_date: str) -> int:
        """How many DAG runs (of any DAG) the stack has for this logical date (YYYY-MM-DD)."""
        stamp = f"{logical_date}T00:00:00+00:00"
        body = self.call("GET", "/dags/~/dagRuns", params={"execution_date_gte": stamp,
                                                            "execution_date_lte": stamp, "limit": 1})
        return body["total_entries"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """A task's XCom as a Python value (the REST API returns it as its string form)."""
        entry = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}")
        try:
            return ast.literal_eval(entry["value"])
        except (ValueError, SyntaxError):
            return entry["value"]

    def wait_for_parsed(self, dag_id: str, filename: str, timeout: float = 180) -> dict:
        """Until the DAG processor has parsed `filename` and the DAG is active; an import error
        of that file raises at once with the parser's message."""
        def state() -> dict | None:
            for error in self.import_errors():
                if error["filename"].endswith("/" + filename):
                    raise RunFailed(f"{filename} does not import:\n{error['stack_trace']}")
            response = self.request("GET", f"/dags/{dag_id}")
            return response.json() if response.status_code == 200 and response.json().get("is_active") else None

        try:
            return Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2), retry=retry_if_result(
                lambda dag: dag is None), retry_error_callback=lambda _: None)(state) or self._not_parsed(
                    dag_id, filename, timeout)
        except requests.ConnectionError as exc:
            raise AssertionError(f"the API did not answer while waiting for {dag_id}: {exc}") from None

    def _not_parsed(self, dag_id: str, filename: str, timeout: float) -> dict:
        raise AssertionError(f"{filename} parsed no active DAG {dag_id!r} within {timeout:.0f}s "
                             "(is the dag_id the file name?)")
