"""The browser of the UI tests, and what a failed one leaves behind.

One chromium per module (starting one costs a second or two) and one sign-in (the login form is
rate-limited); each test gets a context of its own, with that session's cookies or with none.
A failed test keeps a screenshot and the page's HTML under .state/test-artifacts/ui/ in the
rootdir, named after the test; the report says where.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from airkit.stack import sysdeps
from airkit.testing import ui


@pytest.fixture(scope="module")
def ui_browser():
    try:
        sysdeps.ensure_browser()  # as root with apt, a missing chromium is installed, not reported
    except sysdeps.MissingSystemPackages as exc:
        pytest.fail(str(exc), pytrace=False)
    with ui.chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def admin_session(ui_browser, airflow_api) -> ui.Session:
    """Signed in once per module as the stack's admin. airflow_api signs in with the same
    account: the env file's _AIRFLOW_WWW_USER_USERNAME/_PASSWORD (Endpoints.admin)."""
    return ui.sign_in(ui_browser, airflow_api.base_url, *airflow_api.auth)


@pytest.fixture
def ui_page(ui_browser):
    """A page of its own context, with no cookies: nobody is signed in."""
    page = ui.new_page(ui_browser)
    yield page
    page.context.close()


@pytest.fixture
def signed_in(ui_browser, admin_session):
    """A page of its own context, signed in as the stack's admin, on the DAG list."""
    page = ui.new_page(ui_browser, admin_session)
    yield page
    page.context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """While the failed test's page is still open (its fixtures end after this report)."""
    report = yield
    funcargs = getattr(item, "funcargs", {})
    page = funcargs.get("signed_in") or funcargs.get("ui_page")
    if report.when == "call" and report.failed and page is not None and not page.is_closed():
        stem = Path(item.config.rootpath) / ".state" / "test-artifacts" / "ui" / item.name
        try:
            kept = ui.keep_artefacts(page, stem)
        except Exception as exc:  # noqa: BLE001 - the report must not hide the real failure
            kept = [f"(could not keep the page: {exc})"]
        report.sections.append(("airkit UI page at the failure", "\n".join(map(str, [page.url, *kept]))))
    return report
