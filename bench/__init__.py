"""`make bench`: load speed, scheduling, start-up and footprint, as ratios to baselines run alongside.

Nothing here is asserted: targets are reported next to the measured numbers. Run it with
``make bench [QUICK=1] [RUNTIME=local|compose]`` or ``.venv-airflow3/bin/python -m bench --help``.
"""
