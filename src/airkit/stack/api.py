"""A small client for Airflow's stable REST API, with bounded waits and failure reports.

One client for both Airflow lines. Which line a server runs is asked of the server, not inferred
from this interpreter, because the client often runs in a different venv than the stack (an
external stack, or the 2.11 stack driven from the 3.x venv):

- Airflow 3.x: `/api/v2`, `Authorization: Bearer <JWT>` from `POST /auth/token`.
- Airflow 2.x: `/api/v1`, HTTP basic auth.

Methods speak the v1 vocabulary the callers were written in (execution_date filters,
`is_active`, xcom values as Python values, plain-text logs) and translate for v2.
"""
from __future__ import annotations

import ast
import base64
import json
import time
from pathlib import Path
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception_type, retry_if_result, stop_after_delay, wait_fixed

FINISHED = {"success", "failed"}

# v2 ignores query parameters it does not know, so a v1 filter passed through unchanged would
# quietly match everything (and a caller deleting "the runs of one day" would delete them all).
_V2_PARAMS = {"execution_date_gte": "logical_date_gte", "execution_date_lte": "logical_date_lte",
              "only_active": "exclude_stale"}
_V2_ORDER_BY = {"execution_date": "logical_date"}


class RunFailed(AssertionError):
    pass


class AirflowAPI:
    def __init__(self, base_url: str, auth: tuple[str, str]):
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.session = requests.Session()
        self._major: int | None = None
        self._token: str | None = None
        self._token_renew_at = 0.0

    # --- which line ----------------------------------------------------------------------------
    @property
    def major(self) -> int:
        """The server's Airflow major version (2 or 3), asked once per client."""
        if self._major is None:
            self._major = self._detect_major()
            if self._major < 3:
                self.session.auth = self.auth
        return self._major

    @property
    def prefix(self) -> str:
        return "/api/v2" if self.major >= 3 else "/api/v1"

    def _detect_major(self) -> int:
        # /api/v2/version answers without credentials on 3.x; a 2.x webserver has no such route.
        response = self.session.get(f"{self.base_url}/api/v2/version", timeout=30)
        if response.status_code == 200:
            return int(response.json()["version"].split(".")[0])
        if response.status_code == 404:
            return 2
        raise AssertionError(f"GET /api/v2/version -> HTTP {response.status_code}: cannot tell the Airflow "
                             f"line of {self.base_url}: {response.text[:300]}")

    # --- JWT (3.x) -----------------------------------------------------------------------------
    def _fetch_token(self) -> requests.Response:
        response = self.session.post(f"{self.base_url}/auth/token", timeout=30,
                                     json={"username": self.auth[0], "password": self.auth[1]})
        if response.status_code in (200, 201):
            self._token = response.json()["access_token"]
            # Renew by our own clock from the token's lifetime (exp - iat), not by comparing its
            # exp with our wall clock: an external stack's clock may be off from ours.
            claims = _jwt_claims(self._token)
            lifetime = float(claims["exp"]) - float(claims.get("iat", claims.get("nbf", time.time())))
            self._token_renew_at = time.monotonic() + lifetime - min(30.0, lifetime / 4)
        return response

    def _token_header(self, renew: bool = False) -> dict[str, str] | requests.Response:
        """The Authorization header, or the refused token response (wrong credentials)."""
        if renew or self._token is None or time.monotonic() >= self._token_renew_at:
            self._token = None
            response = self._fetch_token()
            if self._token is None:
                return response
        return {"Authorization": f"Bearer {self._token}"}

    # --- plumbing --------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """`path` is relative to the API root (`/dags/...`); on 3.x the v1 query parameter names
        in _V2_PARAMS are renamed. A refused login comes back as the token endpoint's response."""
        url = f"{self.base_url}{self.prefix}{path}"
        if self.major < 3:
            return self.session.request(method, url, timeout=30, **kwargs)
        if kwargs.get("params"):
            kwargs["params"] = _v2_params(kwargs["params"])
        extra_headers = kwargs.pop("headers", None) or {}
        renewed = False
        while True:
            auth = self._token_header(renew=renewed)
            if isinstance(auth, requests.Response):
                return auth
            response = self.session.request(method, url, timeout=30, headers={**extra_headers, **auth}, **kwargs)
            # A token can still expire early (jwt secret rotated by a restart): one fresh login.
            if response.status_code != 401 or renewed:
                return response
            renewed = True

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(f"{method} {path} -> HTTP {response.status_code}: {response.text[:1000]}")
        return response.json() if response.content else None

    def health(self) -> dict:
        """The server's component health JSON (no credentials): 2.x `/health`, 3.x
        `/api/v2/monitor/health` (3.x answers 404 on `/health`). Same shape on both lines."""
        path = "/api/v2/monitor/health" if self.major >= 3 else "/health"
        return self.session.get(f"{self.base_url}{path}", timeout=5).json()

    # --- DAGs and runs ---------------------------------------------------------------------
    def _dag(self, body: dict) -> dict:
        # 3.x reports is_stale instead of is_active; callers read is_active.
        if "is_active" not in body and "is_stale" in body:
            body["is_active"] = not body["is_stale"]
        return body

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> dict:
        """Until the scheduler has parsed the DAG file and the API knows the DAG."""
        for attempt in Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2), reraise=True,
                                retry=retry_if_exception_type((AssertionError, requests.ConnectionError))):
            with attempt:
                return self._dag(self.call("GET", f"/dags/{dag_id}"))
        raise AssertionError("unreachable")

    def unpause(self, dag_id: str) -> None:
        self.wait_for_dag(dag_id)
        self.call("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": False})

    def pause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": True})

    def trigger(self, dag_id: str, logical_date: str, run_id: str, conf: dict | None = None) -> dict:
        """A manual run for `logical_date` (YYYY-MM-DD), replacing an earlier run of that id; the
        DAG is unpaused after. Unpausing a scheduled DAG makes a scheduled run too (catchup off):
        queued first, and on 3.x due at its logical date, not now, the manual run starts first
        where the DAG allows one active run (lesson_sla's test once waited 40 s on the other)."""
        self.wait_for_dag(dag_id)
        if self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}").status_code == 200:
            self.call("DELETE", f"/dags/{dag_id}/dagRuns/{run_id}")
        stamp = f"{logical_date}T00:00:00+00:00"
        body = {"dag_run_id": run_id, "logical_date": stamp, "conf": conf or {}}
        if self.major >= 3:
            body["run_after"] = stamp
        created = self.call("POST", f"/dags/{dag_id}/dagRuns", json=body)
        self.unpause(dag_id)
        return created

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
        # Every field is spelled out: 3.x defaults dry_run and only_failed to true.
        body: dict[str, Any] = {"dry_run": False, "dag_run_id": run_id, "reset_dag_runs": True,
                                "only_failed": False, "include_downstream": True}
        if task_ids:
            body["task_ids"] = task_ids
        self.call("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict]:
        # 3.x pages at 50 by default, 2.x at 100: ask for 2.x's page on both.
        body = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
        return {ti["task_id"]: ti for ti in body["task_instances"]}

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        if self.major < 3:
            response = self.request("GET", path, headers={"Accept": "text/plain"}, params={"full_content": "true"})
            self._check_log(response, task_id, try_number)
            return response.text
        # 3.x has no text/plain log: JSON pages of structured records, chained by a token.
        lines: list[str] = []
        params: dict[str, str] = {"full_content": "true"}
        for _ in range(100):  # a bound, not a expectation: one page is the norm
            response = self.request("GET", path, headers={"Accept": "application/json"}, params=params)
            self._check_log(response, task_id, try_number)
            body = response.json()
            lines += [_log_line(record) for record in body.get("content") or []]
            if not body.get("content") or not body.get("continuation_token"):
                break
            params = {"full_content": "true", "token": body["continuation_token"]}
        return "\n".join(lines) + "\n"

    @staticmethod
    def _check_log(response: requests.Response, task_id: str, try_number: int) -> None:
        if response.status_code != 200:
            raise AssertionError(f"log of {task_id} try {try_number}: HTTP {response.status_code} {response.text[:300]}")

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
        """Each with `filename` and `stack_trace` (3.x: `filename` is relative to its bundle)."""
        return self.call("GET", "/importErrors")["import_errors"]

    def runs_on(self, logical_date: str) -> int:
        """How many DAG runs (of any DAG) the stack has for this logical date (YYYY-MM-DD)."""
        stamp = f"{logical_date}T00:00:00+00:00"
        body = self.call("GET", "/dags/~/dagRuns", params={"execution_date_gte": stamp,
                                                            "execution_date_lte": stamp, "limit": 1})
        return body["total_entries"]

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """A task's XCom as a Python value. JSON types come back alike from both lines; others do
        not: 3.x gives its serde envelope (`{"__classname__": "builtins.tuple", "__data__": [...]}`),
        2.x the value's str() (parsed when it is a literal, so a str XCom "3" comes back as 3)."""
        entry = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}")
        if self.major >= 3:
            return entry["value"]  # 3.x returns the JSON value itself
        # 2.x returns the value's str(); a str XCom is returned as is.
        try:
            return ast.literal_eval(entry["value"])
        except (ValueError, SyntaxError):
            return entry["value"]

    # --- assets (datasets on 2.x) ----------------------------------------------------------------
    def asset_consumers(self) -> dict[str, set[str]]:
        """Asset URI -> the DAGs scheduled on it (2.x: datasets and their consuming DAGs)."""
        if self.major >= 3:
            body = self.call("GET", "/assets", params={"limit": 100})
            return {a["uri"]: {d["dag_id"] for d in a["scheduled_dags"]} for a in body["assets"]}
        body = self.call("GET", "/datasets", params={"limit": 100})
        return {a["uri"]: {d["dag_id"] for d in a["consuming_dags"]} for a in body["datasets"]}

    def asset_events_of(self, dag_id: str, run_id: str) -> set[str]:
        """URIs of the asset events a DAG run's tasks emitted."""
        params = {"source_dag_id": dag_id, "source_run_id": run_id, "limit": 100}
        if self.major >= 3:
            return {e["uri"] for e in self.call("GET", "/assets/events", params=params)["asset_events"]}
        return {e["dataset_uri"] for e in self.call("GET", "/datasets/events", params=params)["dataset_events"]}

    def upstream_runs(self, dag_id: str, run_id: str) -> set[str]:
        """The run ids whose asset events an asset-triggered run consumed."""
        if self.major >= 3:
            body = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/upstreamAssetEvents")["asset_events"]
        else:
            body = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/upstreamDatasetEvents")["dataset_events"]
        return {e["source_run_id"] for e in body if e.get("source_run_id")}

    def wait_for_parsed(self, dag_id: str, filename: str, timeout: float = 180) -> dict:
        """Until the DAG processor has parsed `filename` and the DAG is active; an import error
        of that file raises at once with the parser's message."""
        def state() -> dict | None:
            for error in self.import_errors():
                if Path(error["filename"]).name == filename:
                    raise RunFailed(f"{filename} does not import:\n{error['stack_trace']}")
            response = self.request("GET", f"/dags/{dag_id}")
            if response.status_code != 200:
                return None
            dag = self._dag(response.json())
            return dag if dag["is_active"] else None

        try:
            return Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(2), retry=retry_if_result(
                lambda dag: dag is None), retry_error_callback=lambda _: None)(state) or self._not_parsed(
                    dag_id, filename, timeout)
        except requests.ConnectionError as exc:
            raise AssertionError(f"the API did not answer while waiting for {dag_id}: {exc}") from None

    def _not_parsed(self, dag_id: str, filename: str, timeout: float) -> dict:
        raise AssertionError(f"{filename} parsed no active DAG {dag_id!r} within {timeout:.0f}s "
                             "(is the dag_id the file name?)")


def _jwt_claims(token: str) -> dict:
    """The token's payload, unverified: only the server checks the signature; the client only
    needs to know when to ask for a new one."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _v2_params(params: Any) -> Any:
    if not isinstance(params, dict):
        return params
    renamed = {_V2_PARAMS.get(name, name): value for name, value in params.items()}
    order = renamed.get("order_by")
    if isinstance(order, str):
        sign, field = ("-", order[1:]) if order.startswith("-") else ("", order)
        renamed["order_by"] = sign + _V2_ORDER_BY.get(field, field)
    return renamed


# Fields shown in the line's head, and the task identity and source position every record of a
# 3.x task log repeats: without them a report's last 60 lines stay readable.
_LOG_SHOWN_OR_REPEATED = {"timestamp", "event", "level", "logger", "error_detail", "dag_id", "task_id", "run_id",
                          "try_number", "map_index", "ti_id", "filename", "lineno"}


def _log_line(record: Any) -> str:
    """One 3.x structured log record as the line a 2.x text log would have shown."""
    if isinstance(record, str):  # the server could not parse that line
        return record
    extra = {k: v for k, v in record.items() if k not in _LOG_SHOWN_OR_REPEATED}
    head = " ".join(str(part) for part in (record.get("timestamp"), (record.get("level") or "").upper(),
                                           record.get("logger") and f"{record['logger']}:") if part)
    line = f"{head} {record.get('event', '')}".strip()
    if extra:
        line += " " + " ".join(f"{k}={v}" for k, v in extra.items())
    for error in record.get("error_detail") or []:
        line += "\n" + _traceback(error)
    return line


def _traceback(error: dict) -> str:
    frames = [f'  File "{f.get("filename")}", line {f.get("lineno")}, in {f.get("name")}'
              for f in error.get("frames") or []]
    return "\n".join(["Traceback (most recent call last):", *frames,
                      f"{error.get('exc_type')}: {error.get('exc_value')}"])
