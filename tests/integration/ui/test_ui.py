"""The Airflow 3 UI in a real browser: what a person sees after `make up`, on the suite's stack.

Playwright drives Debian's chromium (installed by the fixture when missing, as root): signing
in with the generated admin account, the DAG list and its tag filter, events_etl's docs and
grid, a run triggered from the UI, and a wrong password refused. The page helpers are
airkit.testing.ui, shared with `make screenshots`; the selectors that depend on Airflow 3.3's
markup are explained there. A failure keeps a screenshot and the page's HTML (conftest.py).

Cost: ~30-60 s, most of it the triggered run.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from airkit.stack import line
from airkit.testing import ui

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(line.MAJOR < 3, reason="drives Airflow 3's React UI; Airflow 2.11 serves the old "
                                              "Flask AppBuilder UI, which this test does not cover"),
]

DAG_ID = "events_etl"
TAG = "lesson:idempotency"


def lesson_dags(api) -> set[str]:
    """The DAGs that carry a lesson:* tag (every DAG of dags/ does), as the REST API lists them."""
    dags = api.call("GET", "/dags", params={"limit": 500, "only_active": "true"})["dags"]
    return {dag["dag_id"] for dag in dags if any(tag["name"].startswith("lesson:") for tag in dag["tags"])}


def tagged(api, tag: str) -> set[str]:
    return {dag["dag_id"] for dag in api.call("GET", "/dags", params={"tags": tag, "limit": 500})["dags"]}


def doc_title(api, dag_id: str) -> str:
    """The first Markdown heading of the DAG's doc_md."""
    doc = api.call("GET", f"/dags/{dag_id}/details")["doc_md"] or ""
    return next(line.lstrip("#").strip() for line in doc.splitlines() if line.startswith("#"))


def test_the_dag_list_shows_every_lesson_dag(signed_in: Page, airflow_api):
    before = lesson_dags(airflow_api)
    shown = ui.shown_dag_ids(signed_in)
    # A test elsewhere may add a lesson-tagged DAG for a while (the dag_file fixture): one the
    # API listed both before and after the page loaded was there when the page loaded.
    lessons = before & lesson_dags(airflow_api)
    assert DAG_ID in lessons
    assert lessons <= shown, f"lesson DAGs missing from the UI's list: {sorted(lessons - shown)}"


def test_the_tag_filter_shows_only_the_dags_with_that_tag(signed_in: Page, airflow_api):
    expected = tagged(airflow_api, TAG)
    assert DAG_ID in expected
    ui.filter_by_tag(signed_in, TAG)
    # The list refetches once the filter is in the URL; until then it still shows every DAG.
    expect(ui.dag_count_heading(signed_in)).to_have_text(ui.dag_count_text(len(expected)), timeout=ui.TIMEOUT_MS)
    assert ui.shown_dag_ids(signed_in) == expected


def test_events_etl_shows_its_docs_and_its_grid(signed_in: Page, airflow_api):
    title = doc_title(airflow_api, DAG_ID)
    tasks = [task["task_id"] for task in airflow_api.call("GET", f"/dags/{DAG_ID}/tasks")["tasks"]]
    ui.open_dag(signed_in, DAG_ID)
    docs = ui.open_docs(signed_in)
    expect(docs.get_by_role("heading", name=title)).to_be_visible()
    docs.get_by_role("button", name="Close").click()
    expect(docs).to_be_hidden()
    for task_id in tasks:
        expect(ui.grid_task(signed_in, task_id)).to_be_visible(timeout=ui.TIMEOUT_MS)


def test_a_run_triggered_from_the_ui_succeeds(signed_in: Page, airflow_api, unique_logical_date):
    day = unique_logical_date()
    run_id = f"airkit__ui_trigger__{day}"
    tasks = [task["task_id"] for task in airflow_api.call("GET", f"/dags/{DAG_ID}/tasks")["tasks"]]
    airflow_api.unpause(DAG_ID)  # a paused DAG's run would stay queued
    ui.open_dag(signed_in, DAG_ID)
    created = ui.trigger(signed_in, day, run_id)
    assert (created["dag_run_id"], created["logical_date"][:10]) == (run_id, day), created
    # Bounded; a run that ends otherwise fails with every task's state and the failing tasks' logs.
    airflow_api.wait_for_run(DAG_ID, run_id, timeout=300)
    ui.goto(signed_in, f"/dags/{DAG_ID}/runs/{run_id}")
    expect(ui.run_state(signed_in)).to_have_text("Success", timeout=ui.TIMEOUT_MS)
    for task_id in tasks:
        expect(ui.task_row(signed_in, task_id)).to_contain_text("Success")


def test_a_wrong_password_is_refused(ui_page: Page, airflow_api):
    user, _ = airflow_api.auth
    ui_page.goto(f"{airflow_api.base_url}/dags")
    ui.submit_login(ui_page, user, "not-the-password")
    # FAB's flash message on its login page (the FAB auth manager of Airflow 3.3).
    expect(ui_page.get_by_text("Invalid login. Please try again.")).to_be_visible()
    # No session: Airflow 3 keeps the UI's JWT in the cookie _token, and the UI still asks to sign in.
    assert "_token" not in {cookie["name"] for cookie in ui_page.context.cookies()}
    ui.goto(ui_page, "/dags")
    expect(ui_page.get_by_role("button", name="Sign In")).to_be_visible()
