"""
### operators_showcase: the same small jobs, written with each kind of operator

```
start ─┬─> classic_python ──┐
       ├─> classic_bash ────┤
       ├─> write_note ──────┼─> end
       ├─> taskflow_python ─┤
       └─> taskflow_bash ───┘
```

- **EmptyOperator** (`start`, `end`): does nothing and never reaches a worker. Markers give
  a DAG one visible entry and exit, so adding a branch never changes what "the DAG's first
  task" is.
- **PythonOperator** (`classic_python`) and its TaskFlow twin **`@task`** (`taskflow_python`):
  the return value becomes an XCom. TaskFlow passes context values (`ds`) as arguments.
- **BashOperator** (`classic_bash`) and **`@task.bash`** (`taskflow_bash`): the command is a
  Jinja template rendered on the worker, so `{{ ds }}` is the run's logical date; the last
  line of stdout becomes the XCom. Templates, not `datetime.now()`: a rerun of an old day
  renders that old day.
- **A custom operator from the package** (`write_note`,
  `airkit.operators.landing_file.WriteLandingFileOperator`): operators live in the installable
  package `src/airkit/`, never in `dags/`, with keyword-only arguments and `template_fields`
  named after them, and they touch files, connections and hooks only inside `execute`.

Trigger it for any day; every task's XCom shows that day.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonOperator

from airkit import dag_defaults, failure_callbacks
from airkit.operators.landing_file import WriteLandingFileOperator


def describe_day(ds: str) -> str:
    return f"python ds={ds}"


@dag(
    # Daily, so it can also be the backfill lesson's example (`make backfill`); paused at creation.
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:operators"],
)
def operators_showcase():
    start = EmptyOperator(task_id="start")
    end = EmptyOperator(task_id="end")

    classic_python = PythonOperator(
        task_id="classic_python", python_callable=describe_day, op_kwargs={"ds": "{{ ds }}"}
    )
    classic_bash = BashOperator(task_id="classic_bash", bash_command='echo "bash ds={{ ds }}"')
    write_note = WriteLandingFileOperator(
        task_id="write_note",
        relpath="showcase/{{ ds }}.txt",
        content="written for {{ ds }} by run {{ run_id }}",
    )

    @task
    def taskflow_python(ds: str | None = None) -> str:
        return describe_day(ds)

    @task.bash
    def taskflow_bash() -> str:
        # The returned string is the command; it is rendered like bash_command above.
        return 'echo "taskflow bash ds={{ ds }}"'

    start >> [classic_python, classic_bash, write_note, taskflow_python(), taskflow_bash()] >> end


operators_showcase()
