"""Will a DAG folder survive the move from Airflow 2.11 to 3.3? `make upgrade-check` answers with
what each line actually does with it, not only with what a linter reads.

``static``: ruff's AIR3 rules, ``airflow config lint`` on the env file, and a parse of every DAG
file by each line's own Airflow (``parse``, run in that line's venv). ``live``: a stack of each
line in turn runs the DAGs for fixed dates and writes down what happened; ``compare`` finds what
differs. ``hints`` names the known 2 -> 3 change behind a difference; ``report`` writes
``upgrade-report.md`` and ``upgrade-report.json``.
"""
