"""The Airflow 3 UI in a real browser: the page helpers the UI test (tests/integration/ui) and
`make screenshots` (airkit.screenshots) share.

Playwright's sync API drives Debian's chromium (`sysdeps.ensure_browser()` installs it), never
a browser build of Playwright's own: the machines this runs on cannot download one.
Selectors are roles, labels and visible text. Where one depends on Airflow 3.3's markup (the
React UI of the api-server, and the FAB provider's login form) its comment says so: a UI
upgrade that breaks a test shows up there first.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from airkit.stack import sysdeps

VIEWPORT = {"width": 1400, "height": 900}
#: How long a page may take to show what a helper waits for (ms): the UI answers within a
#: second or two, but the suite shares two cores with the stack and other tests.
TIMEOUT_MS = 30_000
#: Airflow 3.3's DAG list heading: "1 Dag", "10 Dags".
_DAG_COUNT = re.compile(r"^\d+ Dags?$")


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless chromium, closed afterwards."""
    executable = sysdeps.ensure_browser()
    with sync_playwright() as playwright:
        # --no-sandbox: chromium's sandbox refuses to start as root, which the test machines are.
        browser = playwright.chromium.launch(executable_path=str(executable), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class Session:
    """A signed-in browser state (cookies) and the page the UI showed after signing in."""

    storage_state: dict
    url: str


def new_page(browser: Browser, session: Session | None = None) -> Page:
    """A page in a fresh context: signed in with `session` and on its page, else with no
    cookies. UTC, as the UI shows times by default, so a date typed into a form means the same
    day in the browser and the API."""
    context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC",
                                  storage_state=session.storage_state if session else None)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if session:
        page.goto(session.url)
    return page


# --- signing in ---------------------------------------------------------------------------------
def sign_in(browser: Browser, base_url: str, user: str, password: str, path: str = "/dags") -> Session:
    """Sign in once and keep the session for many pages: the FAB login form allows 5 attempts
    per 40 s from one address (its AUTH_RATE_LIMIT), fewer than a module's tests would make."""
    page = new_page(browser)
    try:
        login(page, base_url, user, password, path)
        return Session(page.context.storage_state(), page.url)
    finally:
        page.context.close()


def login(page: Page, base_url: str, user: str, password: str, path: str = "/dags") -> None:
    """Open `path` of the UI at `base_url` (the stack's api-server), sign in on the login page it
    redirects to, and wait until the UI is back on `path`."""
    page.goto(f"{base_url.rstrip('/')}{path}")
    submit_login(page, user, password)
    expect(page).not_to_have_url(re.compile(r"/auth/login"), timeout=TIMEOUT_MS)


def submit_login(page: Page, user: str, password: str) -> None:
    """Fill in and send the login form. Airflow 3.3 with the FAB auth manager serves FAB's own
    form at /auth/login/: labels "Username:" and "Password:", a "Sign In" submit button."""
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def goto(page: Page, path: str) -> None:
    """`path` on the origin the UI is on. After signing in that is the api-server's configured
    base URL (AIRFLOW__API__BASE_URL, e.g. localhost), which may differ from the address the
    stack reports (127.0.0.1); the session cookie belongs to the former."""
    page.goto(urljoin(page.url, path))


# --- the DAG list -----------------------------------------------------------------------------
def dag_count_heading(page: Page) -> Locator:
    return page.get_by_role("heading", name=_DAG_COUNT)


def dag_count_text(count: int) -> re.Pattern:
    """The list heading for `count` DAGs ("1 Dag", "10 Dags")."""
    return re.compile(rf"^{count} Dags?$")


def shown_dag_ids(page: Page) -> set[str]:
    """The DAG ids the list page shows, once it shows every DAG its heading counts (none on a
    next page). data-testid="dag-id" marks each DAG's link; Airflow's own UI tests select on it.
    The heading and the links render from one answer, but the heading says "0 Dags" before it."""
    links = page.get_by_test_id("dag-id")
    expect(links.first).to_be_visible(timeout=TIMEOUT_MS)
    shown = {text.strip() for text in links.all_inner_texts()}
    expect(dag_count_heading(page)).to_have_text(dag_count_text(len(shown)), timeout=TIMEOUT_MS)
    return shown


def filter_by_tag(page: Page, tag: str) -> None:
    """Choose `tag` in the list's tag filter (a react-select combobox labelled "Filter Dags by
    tag" in 3.3: typing narrows its options), and wait for the filter to reach the URL."""
    box = page.get_by_role("combobox", name="Filter Dags by tag")
    box.fill(tag)
    page.get_by_role("option", name=tag, exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]tags="), timeout=TIMEOUT_MS)


def open_dag(page: Page, dag_id: str) -> None:
    """Follow the DAG's link in the list to its page (grid on the left, details on the right),
    and wait for that page: its heading is the DAG id (the URL changes before the list goes)."""
    page.get_by_role("link", name=dag_id, exact=True).click()
    expect(page.get_by_role("heading", name=dag_id, exact=True)).to_be_visible(timeout=TIMEOUT_MS)


# --- a DAG's page -------------------------------------------------------------------------------
def open_docs(page: Page) -> Locator:
    """The DAG's doc_md, as the "Dag Docs" button opens it (a dialog "Dag Documentation" in 3.3)."""
    page.get_by_role("button", name="Dag Docs").click()
    dialog = page.get_by_role("dialog").filter(has=page.get_by_role("heading", name="Dag Documentation"))
    expect(dialog).to_be_visible(timeout=TIMEOUT_MS)
    return dialog


def grid_task(page: Page, task_id: str) -> Locator:
    """A task's row label in the grid: a link to the task (3.3: /dags/<dag>/tasks/<task>)."""
    return page.get_by_role("link", name=task_id, exact=True)


def trigger(page: Page, logical_date: str, run_id: str) -> dict:
    """Trigger a run of the open DAG from its "Trigger" dialog for `logical_date` (YYYY-MM-DD,
    00:00 UTC) with `run_id`; the created run as the API answered the UI (dag_run_id,
    logical_date, ...)."""
    page.get_by_role("button", name="Trigger Dag").click()
    dialog = page.get_by_role("dialog").filter(has=page.get_by_role("heading", name=re.compile("^Trigger Dag")))
    _pick_logical_date(page, dialog, logical_date)
    dialog.get_by_role("button", name="Advanced Options").click()
    dialog.get_by_role("textbox", name="Run ID").fill(run_id)
    # The dialog's own "Trigger" button (its footer); the page's button, labelled "Trigger Dag"
    # in 3.3, opened the dialog.
    with page.expect_response(lambda r: r.request.method == "POST" and "/dagRuns" in r.url) as response:
        dialog.get_by_role("button", name="Trigger", exact=True).click()
    assert response.value.ok, f"triggering from the UI: HTTP {response.value.status} {response.value.text()[:500]}"
    return response.value.json()


def run_state(page: Page) -> Locator:
    """The run's state badge beside its id at the top of a run's page (/dags/<dag>/runs/<id>).
    3.3 marks state badges data-testid="state-badge"; the run's comes first, before the task
    instances' table (the grid's cells are task-state-badge)."""
    return page.get_by_test_id("state-badge").first


def task_row(page: Page, task_id: str) -> Locator:
    """The task's row in a run page's table of task instances (its first cell links the task)."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=task_id, exact=True))


def _pick_logical_date(page: Page, dialog: Locator, day: str) -> None:
    """3.3's logical date field is a popover trigger (data-testid="datetime-input") over a
    picker with two text boxes: date "YYYY/MM/DD" (labelled Logical Date) and time "HH:mm"."""
    field = dialog.get_by_test_id("datetime-input")
    field.click()
    picker = page.get_by_role("dialog").filter(has=page.get_by_role("textbox", name="HH:mm"))
    picker.get_by_role("textbox", name="Logical Date").fill(day.replace("-", "/"))
    picker.get_by_role("textbox", name="HH:mm").fill("00:00")
    picker.get_by_role("textbox", name="HH:mm").press("Enter")
    # Close the picker by clicking the dialog's heading: Escape would close the dialog too.
    dialog.get_by_role("heading", name=re.compile("^Trigger Dag")).click()
    expect(picker).to_be_hidden(timeout=TIMEOUT_MS)


# --- failures ---------------------------------------------------------------------------------
def keep_artefacts(page: Page, stem: Path) -> list[Path]:
    """A full-page screenshot and the HTML of `page` as <stem>.png and <stem>.html."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    png, html = (stem.parent / f"{stem.name}.{suffix}" for suffix in ("png", "html"))
    page.screenshot(path=str(png), full_page=True)
    html.write_text(page.content())
    return [png, html]
