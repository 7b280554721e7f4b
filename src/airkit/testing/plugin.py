"""The airkit pytest plugin: a live Airflow stack and fixtures that prove safe-pipeline habits.

Installed with the airkit package (pytest11 entry point `airkit`); nothing starts until a test
asks for `airflow_stack` (directly or through another fixture). Options (or the env variables
in brackets, as the Makefile exports them):

  --airkit-runtime=local|compose   [RUNTIME]       which runtime starts the isolated stack
  --airkit-stack=isolated|running|URL [AIRKIT_STACK]
        isolated (default): a stack of its own (own env file, free ports, own state), removed at
        the end; running: the developer's stack named by ENV_FILE; URL: a stack someone else
        runs, with --airkit-user/--airkit-password [AIRKIT_API_USER/_PASSWORD] and
        AIRKIT_WAREHOUSE_DSN
  --airkit-keep                    [KEEP_STACK=1]  leave the isolated stack up for the next run
  --airkit-dags-dir=PATH           [AIRKIT_DAGS_DIR] the DAG folder the stack loads
  --airkit-state=PATH              [AIRKIT_TEST_STATE] where the isolated stack lives

With pytest-xdist (`pytest -n N`) the workers share one stack and one date counter, and a test
marked `stack_exclusive` runs alone on it (see airkit.testing.sharing).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from airkit.stack import StackError, line, open_stack, project, sysdeps
from airkit.stack.isolated import isolated_stack
from airkit.testing import sharing, statsd, tables
from airkit.testing.postgres import ThrowawayPostgres

#: First logical date unique_logical_date() considers: after the demo week (2024-01-01..07).
FIRST_TEST_DATE = dt.date(2024, 2, 1)
_RUNS = pytest.StashKey[list]()
_TOKEN = pytest.StashKey[str]()
_TURNS = pytest.StashKey[sharing.StackTurns]()


# --- options ---------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("airkit", "airkit: live Airflow stack for integration tests")
    group.addoption("--airkit-runtime", choices=("local", "compose"), default=None,
                    help="runtime of the isolated stack (default: $RUNTIME, else local)")
    group.addoption("--airkit-stack", default=None,
                    help="isolated (default) | running (the stack of $ENV_FILE) | URL of an external stack")
    group.addoption("--airkit-keep", action="store_true", default=False,
                    help="keep the isolated stack running for the next session (also KEEP_STACK=1)")
    group.addoption("--airkit-dags-dir", default=None,
                    help="DAG folder the stack loads, relative to the rootdir ($AIRKIT_DAGS_DIR)")
    group.addoption("--airkit-state", default=None, help="state dir of the isolated stack ($AIRKIT_TEST_STATE)")
    group.addoption("--airkit-user", default=None, help="API user of an external stack ($AIRKIT_API_USER)")
    group.addoption("--airkit-password", default=None, help="its password ($AIRKIT_API_PASSWORD)")


@dataclass
class HarnessConfig:
    runtime: str
    stack: str
    keep: bool
    dags_dir: Path | None
    state: Path

    @classmethod
    def of(cls, config: pytest.Config) -> HarnessConfig:
        opt = config.getoption
        runtime = opt("--airkit-runtime") or os.environ.get("RUNTIME") or "local"
        # A DAG repo sets the option in its ini file's addopts, so a relative path is taken from
        # the rootdir (that file's directory), as testpaths are: pytest then loads the repo's own
        # DAGs from whatever directory it runs in. The env variable is relative to the shell's.
        dags_option = opt("--airkit-dags-dir")
        dags = Path(config.rootpath, dags_option) if dags_option else os.environ.get("AIRKIT_DAGS_DIR")
        if dags and not Path(dags).is_dir():
            # Caught here, not minutes later as "DAG not found" from a stack loading nothing.
            raise pytest.UsageError(f"airkit: DAG folder {Path(dags).resolve()} does not exist "
                                    "(--airkit-dags-dir / AIRKIT_DAGS_DIR)")
        state = opt("--airkit-state") or os.environ.get("AIRKIT_TEST_STATE")
        return cls(runtime=runtime,
                   stack=opt("--airkit-stack") or os.environ.get("AIRKIT_STACK") or "isolated",
                   keep=opt("--airkit-keep") or os.environ.get("KEEP_STACK") == "1",
                   dags_dir=Path(dags).resolve() if dags else None,
                   # Per line: a kept 3.3 stack must never be picked up by a 2.11 run.
                   state=Path(state) if state else Path(config.rootpath) / ".state" / "test" / f"{runtime}-airflow{line.MAJOR}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{sharing.EXCLUSIVE_MARK}: the test kills, restarts or scales a "
                            "component: under pytest-xdist no other test runs on the stack meanwhile")


def pytest_report_header(config: pytest.Config) -> str | None:
    if not any("integration" in str(arg) for arg in config.args) and not config.getoption("--airkit-stack"):
        return None
    harness = HarnessConfig.of(config)
    where = {"isolated": f"an isolated stack in {harness.state}", "running": "the running stack"}
    return f"airkit: runtime={harness.runtime}, using {where.get(harness.stack, harness.stack)}"


# --- the stack ---------------------------------------------------------------------------------
def _isolated(harness: HarnessConfig):
    # Local processes send StatsD to a port on this machine, where tests/integration/metrics
    # listens (airkit.testing.statsd); a container's 127.0.0.1 is its own, so compose does not.
    overrides = statsd.harness_settings() if harness.runtime == "local" else None
    return isolated_stack(harness.runtime, harness.state, harness.dags_dir, overrides)


def _external(harness: HarnessConfig):
    from airkit.stack.external import ExternalStack

    user = os.environ.get("AIRKIT_API_USER")
    password = os.environ.get("AIRKIT_API_PASSWORD")
    if not (user and password):
        raise pytest.UsageError(f"--airkit-stack={harness.stack} needs AIRKIT_API_USER and AIRKIT_API_PASSWORD "
                                "(or --airkit-user/--airkit-password)")
    return ExternalStack(harness.stack, user, password, os.environ.get("AIRKIT_WAREHOUSE_DSN"), harness.dags_dir)


@pytest.fixture(scope="session")
def airflow_stack(pytestconfig: pytest.Config) -> Iterator[Any]:
    """The live stack every integration fixture talks to (see the module doc for the options)."""
    harness = HarnessConfig.of(pytestconfig)
    for name in ("user", "password"):
        if pytestconfig.getoption(f"--airkit-{name}"):
            os.environ[f"AIRKIT_API_{name.upper()}"] = pytestconfig.getoption(f"--airkit-{name}")
    try:
        if harness.stack == "running":
            yield open_stack(harness.runtime, os.environ.get("ENV_FILE") or ".env", dags_dir=harness.dags_dir)
            return
        if harness.stack.startswith(("http://", "https://")):
            stack = _external(harness)
            stack.start()
            yield stack
            return
        if harness.stack != "isolated":
            raise pytest.UsageError(f"--airkit-stack must be isolated, running or a URL, not {harness.stack!r}")
        token = sharing.session_token(pytestconfig)
        if token is not None:
            yield _shared_isolated(harness, token)
            return  # the controller stops it once every worker is done
        stack = _isolated(harness)
        stack.start(_up_timeout())
    except StackError as exc:
        pytest.fail(f"airkit: could not get a stack: {exc}", pytrace=False)
    yield stack
    if not harness.keep:
        _remove(harness, stack)


def _up_timeout() -> float:
    return float(os.environ.get("UP_TIMEOUT") or 600)


def _remove(harness: HarnessConfig, stack) -> None:
    stack.stop(remove_state=True)
    shutil.rmtree(harness.state, ignore_errors=True)


def _shared_isolated(harness: HarnessConfig, token: str):
    """An xdist worker's view of the session's isolated stack: started by whichever worker gets
    here first, waited for by the others."""
    with sharing.flocked(sharing.start_lock(harness.state)):
        stack = _isolated(harness)  # under the lock: one env file, written once
        if sharing.started_by(harness.state) == token:
            stack.wait_healthy(_up_timeout())
        else:
            stack.start(_up_timeout())
            sharing.mark_started(harness.state, token)
    return stack


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller: every worker of this session gets the same token."""
    node.workerinput[sharing.SESSION_KEY] = node.config.stash.setdefault(_TOKEN, uuid.uuid4().hex)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """xdist controller: the workers are done; stop the isolated stack one of them started."""
    token = session.config.stash.get(_TOKEN, None)
    if token is None:
        return
    harness = HarnessConfig.of(session.config)
    if harness.keep or harness.stack != "isolated" or sharing.started_by(harness.state) != token:
        return
    _remove(harness, _isolated(harness))


def _takes_turns(item: pytest.Item | None) -> bool:
    """A test on the stack does; one marked skip does not (it would drain the stack for nothing)."""
    return item is not None and "airflow_stack" in item.fixturenames and not item.get_closest_marker("skip")


def _exclusive(item: pytest.Item | None) -> bool:
    return _takes_turns(item) and item.get_closest_marker(sharing.EXCLUSIVE_MARK) is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """xdist worker: a test on the stack takes its turn (shared, or alone when marked
    stack_exclusive) for its whole setup, call and teardown."""
    if sharing.session_token(item.config) is None or not _takes_turns(item):
        return (yield)
    turns = item.config.stash.setdefault(_TURNS, sharing.StackTurns(HarnessConfig.of(item.config).state / "locks"))
    with turns.turn(_exclusive(item), next_exclusive=_exclusive(nextitem)):
        return (yield)


@pytest.fixture(scope="session")
def airflow_api(airflow_stack):
    """REST client of the stack: bounded waits; a run that ends badly raises with every task
    instance's state and the failing tasks' logs."""
    return airflow_stack.api


@pytest.fixture
def warehouse(airflow_stack) -> Iterator[Any]:
    """A DB-API connection to the stack's warehouse (rows as dicts, autocommit: an idle test never
    holds a transaction open against the DAGs it runs), closed afterwards."""
    conn = airflow_stack.warehouse()
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


# --- logical dates -----------------------------------------------------------------------------
class LogicalDates:
    """Hands out logical dates no other test of the session got (the counter is shared by every
    xdist worker), and that have no DAG run on the stack yet (a kept stack still holds the last
    session's runs)."""

    def __init__(self, api, counter: sharing.DateCounter):
        self.api = api
        self.counter = counter

    def __call__(self) -> str:
        return self.span(1)[0]

    def span(self, days: int) -> list[str]:
        """`days` consecutive unused dates (for backfills)."""
        while True:
            start = self.counter.claim(days)
            candidate = [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]
            if not any(self.api.runs_on(d) for d in candidate):
                return candidate


@pytest.fixture(scope="session")
def unique_logical_date(pytestconfig, airflow_api, tmp_path_factory) -> LogicalDates:
    """`unique_logical_date()` -> "YYYY-MM-DD" no other test in the session uses;
    `unique_logical_date.span(n)` -> n consecutive such dates."""
    shared = None
    if sharing.session_token(pytestconfig) is not None:
        # The workers' base temp dirs share one parent: the session's.
        shared = tmp_path_factory.getbasetemp().parent / "airkit-logical-dates.json"
    return LogicalDates(airflow_api, sharing.DateCounter(FIRST_TEST_DATE, shared))


# --- running DAGs ------------------------------------------------------------------------------
@dataclass
class DagRunResult:
    dag_id: str
    run_id: str
    logical_date: str
    state: str
    api: Any = field(repr=False)

    @property
    def task_instances(self) -> dict[str, dict]:
        return self.api.task_instances(self.dag_id, self.run_id)

    @property
    def task_states(self) -> dict[str, str]:
        return {task: ti["state"] for task, ti in self.task_instances.items()}

    @property
    def tries(self) -> dict[str, int]:
        return {task: ti["try_number"] for task, ti in self.task_instances.items()}

    def log(self, task_id: str, try_number: int | None = None) -> str:
        return self.api.task_log(self.dag_id, self.run_id, task_id,
                                 try_number or max(self.task_instances[task_id]["try_number"], 1))

    def xcom(self, task_id: str, key: str = "return_value") -> Any:
        return self.api.xcom(self.dag_id, self.run_id, task_id, key)

    def report(self) -> str:
        return self.api.report(self.dag_id, self.run_id)


RunDag = Callable[..., DagRunResult]


@pytest.fixture
def run_dag(request: pytest.FixtureRequest, airflow_api, unique_logical_date) -> RunDag:
    """`run_dag(dag_id, logical_date=None, conf=None, *, expect="success", timeout=300, run_id=None)`:
    a manual run (the DAG unpaused first), waited for; returns a DagRunResult. Without a date it
    gets a unique one. expect=None returns whatever the run ended as."""
    runs = request.node.stash.setdefault(_RUNS, [])

    def run(dag_id: str, logical_date: str | None = None, conf: dict | None = None, *,
            expect: str | None = "success", timeout: float = 300, run_id: str | None = None) -> DagRunResult:
        day = logical_date or unique_logical_date()
        # Airflow 3 takes run ids of [A-Za-z0-9_.~:+-] only: a parametrized test's name has [].
        run_id = run_id or f"airkit__{re.sub(r'[^A-Za-z0-9_.~:+-]', '_', request.node.name)[:60]}__{day}"
        airflow_api.trigger(dag_id, day, run_id, conf=conf)
        runs.append((dag_id, run_id))
        state = airflow_api.wait_for_run(dag_id, run_id, timeout=timeout, expect=expect)
        return DagRunResult(dag_id, run_id, day, state, airflow_api)

    return run


def _snapshots(stack, table_names, where, params) -> dict[str, tables.Snapshot]:
    with stack.warehouse() as conn:
        return {t: tables.snapshot(conn, t, where, params) for t in table_names}


def _compare(before: dict, after: dict, what: str) -> None:
    changed = [t for t in before if before[t].digest != after[t].digest]
    if changed:
        raise AssertionError(f"not idempotent: {what} changed {', '.join(changed)}\n"
                             + "\n".join(before[t].diff(after[t]) for t in changed))


@pytest.fixture
def assert_idempotent(airflow_stack, airflow_api, run_dag) -> Callable[..., DagRunResult]:
    """`assert_idempotent(dag_id, logical_date=None, *, tables, where=None, conf=None)`: run the
    DAG, checksum `tables`, clear the run, let it run again, checksum again; fail with a
    row-level diff when they differ. `where` limits the tables (bind parameter
    %(logical_date)s). Returns the run."""
    def check(dag_id: str, logical_date: str | None = None, *, tables: list[str], where: str | None = None,
              conf: dict | None = None, timeout: float = 300) -> DagRunResult:
        result = run_dag(dag_id, logical_date, conf, timeout=timeout)
        params = {"logical_date": result.logical_date}
        first = _snapshots(airflow_stack, tables, where, params)
        tries = result.tries
        airflow_api.clear(dag_id, result.run_id)
        airflow_api.wait_for_run(dag_id, result.run_id, timeout=timeout)
        rerun = {t: n for t, n in result.tries.items() if n > tries.get(t, 0)}
        assert rerun, f"clearing {result.run_id} re-ran no task: tries {tries}"
        _compare(first, _snapshots(airflow_stack, tables, where, params),
                 f"clearing and re-running {dag_id} for {result.logical_date}")
        return result

    return check


@dataclass(frozen=True)
class BackfillResult:
    days: list[str]
    snapshots: dict[str, tables.Snapshot]


@pytest.fixture
def assert_backfill_idempotent(airflow_stack, airflow_api, unique_logical_date) -> Callable[..., BackfillResult]:
    """`assert_backfill_idempotent(dag_id, start=None, end=None, *, days=3, tables, where=None)`:
    backfill the range, checksum, backfill it again (runs reset), checksum; fail with a
    row-level diff when they differ. Without dates it takes `days` unused ones. `where` may
    use %(start)s and %(end)s. Returns the days and the snapshots."""
    def check(dag_id: str, start: str | None = None, end: str | None = None, *, days: int = 3,
              tables: list[str], where: str | None = None, timeout: float = 900) -> BackfillResult:
        span = unique_logical_date.span(days) if start is None else _date_range(start, end or start)
        start, end = span[0], span[-1]
        airflow_api.wait_for_dag(dag_id)
        params = {"start": start, "end": end}

        def backfill(rerun: bool) -> dict:
            result = airflow_stack.backfill(dag_id, start, end, rerun=rerun, timeout=timeout)
            assert result.returncode == 0, f"backfill failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            return _snapshots(airflow_stack, tables, where, params)

        first = backfill(rerun=False)
        _compare(first, backfill(rerun=True), f"backfilling {dag_id} {start}..{end} again")
        return BackfillResult(span, first)

    return check


def _date_range(start: str, end: str) -> list[str]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


@pytest.fixture
def dag_file(request: pytest.FixtureRequest, airflow_stack, airflow_api) -> Callable[..., dict]:
    """`dag_file(path, dag_id=None, timeout=180)`: copy a DAG file into the stack's DAG folder and
    wait (bounded) until it is parsed and active; an import error fails with the parser's
    message. The file (and the DAG) are removed afterwards. dag_id defaults to the file name;
    given, the copy is named after it (file = dag_id, whatever the source file is called)."""
    added: list[tuple[Path, str]] = []

    def add(path: str | os.PathLike, dag_id: str | None = None, timeout: float = 180) -> dict:
        source = Path(path)
        dag_id = dag_id or source.stem
        target = airflow_stack.dags_folder / f"{dag_id}.py"
        shutil.copyfile(source, target)
        added.append((target, dag_id))
        return airflow_api.wait_for_parsed(dag_id, target.name, timeout=timeout)

    yield add
    for target, dag_id in added:
        target.unlink(missing_ok=True)
        airflow_api.request("DELETE", f"/dags/{dag_id}")


# --- the upgrade check --------------------------------------------------------------------------
@dataclass(frozen=True)
class UpgradeCheck:
    report: dict  # airkit.upgrade.report.build()'s: per file a verdict and its findings
    markdown: str

    @property
    def needs_work(self) -> bool:
        from airkit.upgrade.report import needs_work

        return needs_work(self.report)


@pytest.fixture(scope="session")
def upgrade_check(pytestconfig) -> Callable[..., UpgradeCheck]:
    """`upgrade_check(dates, *, tables=(), dag_ids=None, line_defaults=())`: this repository's DAG
    folder parsed by Airflow 2.11 and 3.3 and run on a stack of each line in turn (`make
    upgrade-check`, see airkit.upgrade); the report is also written to .state/upgrade-check/
    under the rootdir. Needs both lines' venvs in the airkit checkout."""
    from airkit.upgrade.__main__ import main

    harness = HarnessConfig.of(pytestconfig)
    out = Path(pytestconfig.rootpath) / ".state" / "upgrade-check"

    def check(dates: list[str], *, tables: list[str] = (), dag_ids: list[str] | None = None,
              line_defaults: list[str] = ()) -> UpgradeCheck:
        argv = ["--dags", str(harness.dags_dir or project.dags_dir()), "--live", "--runtime", harness.runtime,
                "--out", str(out), "--stacks", str(out / "stacks"), "--dates", ",".join(dates)]
        for option, values in (("--tables", tables), ("--dag-ids", dag_ids), ("--line-default", line_defaults)):
            if values:
                argv += [option, " ".join(values)]
        main(argv)
        return UpgradeCheck(json.loads((out / "upgrade-report.json").read_text()),
                            (out / "upgrade-report.md").read_text())

    return check


# --- failure reports ---------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test gets the report of every run it made and the stack's unhealthy services."""
    report = yield
    if report.when == "call" and report.failed:
        stack = getattr(item, "funcargs", {}).get("airflow_stack")
        if stack is not None:
            for dag_id, run_id in item.stash.get(_RUNS, []):
                report.sections.append((f"airkit run {dag_id}/{run_id}", stack.api.report(dag_id, run_id)))
            report.sections.append(("airkit stack health after the failure", stack.describe()))
    return report


# --- a real PostgreSQL for unit tests ------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """libpq URI of a real PostgreSQL: $AIRKIT_TEST_PG_DSN, else a throwaway cluster."""
    named = os.environ.get("AIRKIT_TEST_PG_DSN")
    if named:
        yield named
        return
    try:
        # As `make up` does: as root with apt, a missing PostgreSQL is installed, not reported.
        sysdeps.ensure(say=print)
        server = ThrowawayPostgres()
    except (RuntimeError, sysdeps.MissingSystemPackages) as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server.start()
    finally:
        server.stop()
