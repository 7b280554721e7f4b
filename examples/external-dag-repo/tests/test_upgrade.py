"""This repository's DAGs do the same on Airflow 2.11 and on 3.3: the plugin's `upgrade_check`
parses them with both lines and runs them on a stack of each, in turn; the day's rows of both
tables must checksum alike. It starts two more stacks, so it takes a few minutes."""


def test_the_dags_do_the_same_on_airflow_2_and_3(upgrade_check):
    check = upgrade_check(["2024-01-01"], tables=["daily_totals:day", "daily_totals_appended:day"])

    assert not check.needs_work, check.markdown
    # Both DAGs ran on both lines, and the tables held rows to compare.
    assert set(check.report["live"]["runs"].values()) == {2}, check.report["live"]
    assert "daily_totals_upsert.py | daily_totals_upsert | same" in check.markdown, check.markdown
    assert all(check.report["live"]["rows"].values()), check.report["live"]
