from __future__ import annotations

import logging
from types import SimpleNamespace

from airkit.notifiers import describe_failure, log_failure


def test_logs_the_facts_of_a_failure(caplog) -> None:
    ti = SimpleNamespace(dag_id="events_etl", task_id="load_events", try_number=3, max_tries=2, log_url="http://x/log")
    context = {
        "ti": ti,
        "dag_run": SimpleNamespace(run_id="manual__2024-01-03"),
        "ds": "2024-01-03",
        "exception": ValueError("bad row"),
    }
    with caplog.at_level(logging.ERROR, logger="airkit.alerts"):
        log_failure(context)
    message = caplog.records[-1].getMessage()
    for fact in ("dag=events_etl", "task=load_events", "run=manual__2024-01-03", "try=3/2", "bad row"):
        assert fact in message
    assert describe_failure(context)["logical_date"] == "2024-01-03"


def test_never_raises(caplog) -> None:
    log_failure({})
    log_failure({"ti": object(), "dag": 42})
