"""
### dependency_isolation: a task that needs a library version Airflow's environment lacks

Workers run one Python environment, pinned by the line's lock (`requirements/lock-airflow3.txt`) (here `tabulate`
0.10.0). When a task needs another version, or a library that conflicts with Airflow,
do not change the workers' environment: run that task in a separate one.

```
main_environment ──> external_python ──> virtualenv ──> compare
```

- **`@task.external_python`** (ExternalPythonOperator) runs the function with *another,
  ready-made interpreter*: the platform builds it from `requirements/isolated.txt` in both
  runtimes (`make install`: `.venv-airflow3-isolated/`; the image: `/opt/airkit/isolated-venv`) and
  names it in `AIRKIT_ISOLATED_PYTHON`. Starting it costs milliseconds, and the environment
  is reviewed and locked like the main one. Prefer it.
- **`@task.virtualenv`** (PythonVirtualenvOperator) creates a fresh virtualenv *for every
  run* and installs `requirements` into it. Slower, and it needs a package source at run
  time: here the platform's wheelhouse (`AIRKIT_WHEELHOUSE`), so it works offline and
  installs exactly the reviewed wheels, never whatever PyPI serves today. The workers'
  environment says so to pip (`PIP_NO_INDEX=1`, `PIP_FIND_LINKS=<wheelhouse>`), and
  `requirements` holds only pins: Airflow 3 reads each line as a requirement, so pip
  options such as `--no-index` cannot go there.
  `system_site_packages=False` keeps the main environment's tabulate out of it.

Both isolated functions import everything they use *inside* the function (it runs in
another interpreter) and return plain values, which come back as XComs. Airflow itself is
not installed there, so they cannot use hooks or the Airflow context.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import dag, task

from airkit import dag_defaults, failure_callbacks
from airkit.isolation import isolated_python

# The version requirements/isolated.txt pins; the lock pins another one.
ISOLATED_TABULATE = "tabulate==0.9.0"


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args=dag_defaults(),
    on_failure_callback=failure_callbacks(),
    # A callable, so the path is looked up when a task renders on the worker.
    user_defined_macros={"isolated_python": isolated_python},
    doc_md=__doc__,
    tags=["team:data-platform", "domain:training", "lesson:dependency-isolation"],
)
def dependency_isolation():
    @task
    def main_environment() -> dict:
        import sys

        import tabulate

        return {"tabulate": tabulate.__version__, "python": sys.executable}

    @task.external_python(python="{{ isolated_python() }}")
    def external_python() -> dict:
        import sys

        import tabulate

        return {"tabulate": tabulate.__version__, "python": sys.executable}

    @task.virtualenv(
        # Pins only; the wheelhouse comes from the worker's PIP_NO_INDEX / PIP_FIND_LINKS.
        requirements=[ISOLATED_TABULATE],
        system_site_packages=False,
    )
    def virtualenv() -> dict:
        import sys

        import tabulate

        return {"tabulate": tabulate.__version__, "python": sys.executable}

    @task
    def compare(main: dict, external: dict, venv: dict) -> None:
        print(f"main={main} external={external} virtualenv={venv}")
        if len({main["tabulate"], external["tabulate"]}) != 2 or external["tabulate"] != venv["tabulate"]:
            raise ValueError("the isolated tasks did not get their own tabulate version")

    main, external, venv = main_environment(), external_python(), virtualenv()
    main >> external >> venv
    compare(main, external, venv)


dependency_isolation()
