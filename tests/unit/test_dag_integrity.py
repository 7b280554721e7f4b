"""Integrity of every DAG file in dags/: the checks a DAG must pass before review.

Parsing needs no metadata DB, no connections and no AIRKIT_DATA_DIR (conftest removes
them): a DAG that reads them at import time does work at parse time, and fails here.

Each rule is a function returning its problems with one file, run on every file in dags/
and, in ``TestTheChecksCanFail``, on small DAG files that break it: a rule that no file can
break proves nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from airflow.models import DagBag

from airkit.compat import AIRFLOW_MAJOR
from airkit.notifiers import SentryNotifier, log_failure

from .conftest import dag_bag

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_"))
MIN_RETRIES = 2
# Constructors whose result depends on their arguments only: a date written into the file.
FIXED_DATE_CALLS = {"pendulum.datetime", "datetime.datetime", "dt.datetime", "datetime"}
# Where a DAG's start_date can be given: the DAG itself, or its default_args.
DAG_CALLS = {"dag", "DAG", "dag_defaults"}


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return dag_bag(DAGS_DIR, safe_mode=False)


def _dags_of(dagbag: DagBag, path: Path):
    return [d for d in dagbag.dags.values() if Path(d.fileloc).resolve() == path.resolve()]


# --- the rules -----------------------------------------------------------------------------------

def one_dag_named_after_the_file(dagbag: DagBag, path: Path) -> list[str]:
    dag_ids = sorted(d.dag_id for d in _dags_of(dagbag, path))
    if dag_ids == [path.stem]:
        return []
    error = dagbag.import_errors.get(str(path))
    return [f"{path.name}: must define exactly one DAG, dag_id {path.stem!r}; defines {dag_ids}"
            + (f" (import error: {error})" if error else "")]


def _call_name(node: ast.expr) -> str:
    return ast.unparse(node.func) if isinstance(node, ast.Call) else ""


def _is_fixed_date(node: ast.expr, constants: dict[str, ast.expr]) -> bool:
    if isinstance(node, ast.Name) and node.id in constants:
        node = constants[node.id]
    if _call_name(node) not in FIXED_DATE_CALLS:
        return False
    return all(isinstance(a, ast.Constant) for a in [*node.args, *(k.value for k in node.keywords)])


def fixed_start_date(dagbag: DagBag, path: Path) -> list[str]:
    """start_date is given to the DAG (not left to its tasks), as a date written in the file.

    Airflow makes every date timezone-aware, and a relative one (``days_ago(1)``,
    ``pendulum.now()``) is a valid date at each parse, so only the source shows it moves: the
    schedule then shifts with every parse and runs are created or missed depending on when
    the file was read.
    """
    problems = [f"{d.dag_id}: no start_date on the DAG or in its default_args"
                for d in _dags_of(dagbag, path) if d.start_date is None]
    tree = ast.parse(path.read_text(), str(path))
    constants = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign)
                 for t in node.targets if isinstance(t, ast.Name)}
    given = [k.value for node in ast.walk(tree) if _call_name(node).rsplit(".", 1)[-1] in DAG_CALLS
             for k in node.keywords if k.arg == "start_date"]
    if not given:
        problems.append(f"{path.name}: start_date is not given in the file")
    problems += [f"{path.name}:{v.lineno}: start_date must be a fixed date such as "
                 f"pendulum.datetime(2024, 1, 1, tz='UTC'), not {ast.unparse(v)}"
                 + (f" = {ast.unparse(constants[v.id])}" if isinstance(v, ast.Name) and v.id in constants else "")
                 for v in given if not _is_fixed_date(v, constants)]
    return problems


def documented_and_tagged(dagbag: DagBag, path: Path) -> list[str]:
    problems = []
    for dag in _dags_of(dagbag, path):
        if not dag.tags:
            problems.append(f"{dag.dag_id}: no tags")
        if not (dag.doc_md or "").strip():
            problems.append(f"{dag.dag_id}: no doc_md")
    return problems


def _channels(callbacks) -> set[str]:
    callbacks = callbacks if isinstance(callbacks, list) else [callbacks]
    return {"log" if c is log_failure else "sentry" for c in callbacks
            if c is log_failure or isinstance(c, SentryNotifier)}


def alerts_through_dag_defaults(dagbag: DagBag, path: Path) -> list[str]:
    """Failed runs and tasks go to the log and Sentry, retries to Sentry: airkit.dag_defaults()."""
    problems = []
    for dag in _dags_of(dagbag, path):
        if _channels(dag.on_failure_callback) != {"log", "sentry"}:
            problems.append(f"{dag.dag_id}: the DAG's on_failure_callback must be airkit.failure_callbacks()")
        for task in dag.tasks:
            if _channels(task.on_failure_callback) != {"log", "sentry"}:
                problems.append(f"{dag.dag_id}.{task.task_id}: on_failure_callback lacks the log or Sentry "
                                "notifier (default_args=airkit.dag_defaults())")
            if "sentry" not in _channels(task.on_retry_callback):
                problems.append(f"{dag.dag_id}.{task.task_id}: retries are not sent to Sentry")
    tree = ast.parse(path.read_text(), str(path))
    problems += [f"{path.name}:{k.value.lineno}: default_args must be airkit.dag_defaults(...), "
                 f"not a block of its own ({ast.unparse(k.value)[:60]})"
                 for node in ast.walk(tree) if isinstance(node, ast.Call)
                 for k in node.keywords if k.arg == "default_args"
                 and _call_name(k.value).rsplit(".", 1)[-1] != "dag_defaults"]
    return problems


def enough_retries(dagbag: DagBag, path: Path) -> list[str]:
    problems = []
    for dag in _dags_of(dagbag, path):
        problems += [f"{dag.dag_id}.{t.task_id}: retries {t.retries} < {MIN_RETRIES}"
                     for t in dag.tasks if t.retries < MIN_RETRIES]
        problems += [f"{dag.dag_id}.{t.task_id}: retry_delay {t.retry_delay} is over 30 minutes"
                     for t in dag.tasks if t.retry_delay > timedelta(minutes=30)]
    return problems


RULES: list[Callable[[DagBag, Path], list[str]]] = [
    one_dag_named_after_the_file, fixed_start_date, documented_and_tagged, alerts_through_dag_defaults,
    enough_retries,
]


# --- every file in dags/ --------------------------------------------------------------------------

def test_dags_folder_is_not_empty() -> None:
    assert DAG_FILES, f"no DAG files in {DAGS_DIR}"


def test_no_import_errors(dagbag: DagBag) -> None:
    # Also the cycle check: DagBag runs check_cycle on every DAG and reports a cycle here.
    assert dagbag.import_errors == {}, "\n\n".join(f"{f}:\n{e}" for f, e in dagbag.import_errors.items())


@pytest.mark.parametrize("rule", RULES, ids=[r.__name__ for r in RULES])
@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_every_dag_file(dagbag: DagBag, path: Path, rule) -> None:
    problems = rule(dagbag, path)
    assert not problems, "\n".join(problems)


# --- the rules can fail ---------------------------------------------------------------------------

GOOD = '''
"""A DAG that follows every rule."""
import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks

START = pendulum.datetime(2024, 1, 1, tz="UTC")


@dag(schedule=None, start_date=START, default_args=dag_defaults(), on_failure_callback=failure_callbacks(),
     doc_md=__doc__, tags=["team:data-platform", "domain:training", "lesson:testing"])
def {name}():
    @task
    def work() -> None:
        pass

    work()


{name}()
'''


def _break(old: str, new: str) -> Callable[[str], str]:
    def edit(source: str) -> str:
        assert old in source, old
        return source.replace(old, new)
    return edit


def _second_dag(source: str) -> str:
    return source + "\n\n@dag(schedule=None, start_date=START)\ndef another():\n    pass\n\n\nanother()\n"


BROKEN = [
    # (case, the rule it breaks, how the good file is broken[, pytest marks])
    ("two-dags", "one_dag_named_after_the_file", _second_dag),
    ("dag-id-is-not-the-file-name", "one_dag_named_after_the_file",
     lambda s: s.replace("def {name}():", "def renamed():").replace("\n{name}()\n", "\nrenamed()\n")),
    ("no-dag", "one_dag_named_after_the_file", lambda s: s.split("@dag(")[0]),
    ("start-date-now", "fixed_start_date",
     _break("start_date=START", "start_date=pendulum.now('UTC').subtract(days=1)")),
    ("start-date-days-ago", "fixed_start_date",
     _break('START = pendulum.datetime(2024, 1, 1, tz="UTC")',
            "from airflow.utils.dates import days_ago\nSTART = days_ago(1)"),
     pytest.mark.skipif(AIRFLOW_MAJOR >= 3, reason="Airflow 3 removed days_ago: a file using it is an "
                        "import error there, which test_no_import_errors reports")),
    # What days_ago(1) computed, and what Airflow 2's deprecation warning offers instead.
    ("start-date-today-constant", "fixed_start_date",
     _break('START = pendulum.datetime(2024, 1, 1, tz="UTC")', "START = pendulum.today('UTC').add(days=-1)")),
    ("no-start-date", "fixed_start_date", _break("start_date=START, ", "")),
    ("no-doc-md", "documented_and_tagged", _break("doc_md=__doc__, ", "")),
    ("no-tags", "documented_and_tagged",
     _break('tags=["team:data-platform", "domain:training", "lesson:testing"]', "tags=[]")),
    ("dag-callback-log-only", "alerts_through_dag_defaults",
     _break("on_failure_callback=failure_callbacks()", "on_failure_callback=failure_callbacks()[0]")),
    ("task-callback-log-only", "alerts_through_dag_defaults",
     _break("default_args=dag_defaults()", "default_args=dag_defaults(on_failure_callback=failure_callbacks()[:1])")),
    ("own-default-args-block", "alerts_through_dag_defaults",
     _break("default_args=dag_defaults()", "default_args={**dag_defaults(), 'owner': 'me'}")),
    ("retries-not-alerted", "alerts_through_dag_defaults",
     _break("default_args=dag_defaults()", "default_args=dag_defaults(on_retry_callback=None)")),
    ("no-retries", "enough_retries", _break("default_args=dag_defaults()", "default_args=dag_defaults(retries=0)")),
]


def _bag_of(tmp_path: Path, source: str, name: str = "tiny_dag") -> tuple[DagBag, Path]:
    path = tmp_path / f"{name}.py"
    path.write_text(source.replace("{name}", name))
    return dag_bag(path, safe_mode=False), path


class TestTheChecksCanFail:
    def test_the_good_file_passes_every_rule(self, tmp_path: Path) -> None:
        bag, path = _bag_of(tmp_path, GOOD)
        assert bag.import_errors == {}
        assert {rule.__name__: rule(bag, path) for rule in RULES} == {rule.__name__: [] for rule in RULES}

    @pytest.mark.parametrize(("rule_name", "breaking"),
                             [pytest.param(rule, breaking, id=case, marks=marks)
                              for case, rule, breaking, *marks in BROKEN])
    def test_a_broken_file_fails_the_rule(self, tmp_path: Path, rule_name: str, breaking) -> None:
        bag, path = _bag_of(tmp_path, breaking(GOOD))
        assert bag.import_errors == {}, "the broken file must still be a valid DAG file"
        rule = next(r for r in RULES if r.__name__ == rule_name)
        assert rule(bag, path), f"{rule_name} accepted:\n{path.read_text()}"

    def test_a_cycle_is_an_import_error(self, tmp_path: Path) -> None:
        bag, _ = _bag_of(tmp_path, GOOD.replace("    work()\n", "    a, b = work.override(task_id='a')(), "
                                                                  "work.override(task_id='b')()\n    a >> b >> a\n"))
        assert any("Cycle" in str(e) for e in bag.import_errors.values()), bag.import_errors
