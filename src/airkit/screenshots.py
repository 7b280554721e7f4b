"""`make screenshots` (`python -m airkit.screenshots`): the README's pictures of the UI, taken from
the running stack (ENV_FILE and RUNTIME, as `make demo` finds it) in Debian's chromium.

    docs/ui-dag-list.png          the DAG list
    docs/ui-events-etl-grid.png   events_etl's grid; after `make demo` it shows the sample week
    docs/kata-board.png           `make kata`'s board, as this checkout's results show it

They are committed: regenerate them after a UI change with `make up && make demo && make
screenshots`. The kata board is text: `board_png` renders it in the same browser. The page
helpers are the UI test's (airkit.testing.ui).
"""
from __future__ import annotations

import html
import os
import sys
from pathlib import Path

import requests
from playwright.sync_api import Page, expect

from airkit import katas
from airkit.stack import StackError, open_stack, project, sysdeps
from airkit.testing import ui

DAG_ID = "events_etl"
DAG_LIST_PNG = "ui-dag-list.png"
GRID_PNG = "ui-events-etl-grid.png"
BOARD_PNG = "kata-board.png"
#: The list's page scrolls inside the UI, so a full-page shot is no taller: room for ten rows.
LIST_VIEWPORT = {**ui.VIEWPORT, "height": 1000}
#: Where the grid panel ends in the grid picture (px of ui.VIEWPORT's 1400): room for two weeks of runs.
GRID_WIDTH = 760


def main() -> int:
    try:
        stack = open_stack(os.environ.get("RUNTIME") or "local", os.environ.get("ENV_FILE") or ".env")
        if stack.api.major < 3:
            raise StackError("the screenshots show Airflow 3's UI; this stack runs Airflow 2")
    except (StackError, requests.ConnectionError) as exc:
        print(f"screenshots: ERROR: {exc}\n(is the stack up? `make up`, then `make demo`)", file=sys.stderr)
        return 1
    out = project.root() / "docs"
    out.mkdir(exist_ok=True)
    tasks = [t["task_id"] for t in stack.api.call("GET", f"/dags/{DAG_ID}/tasks")["tasks"]]
    try:
        with ui.chromium() as browser:
            page = ui.new_page(browser)
            ui.login(page, stack.api.base_url, *stack.api.auth)
            dag_list(page, out / DAG_LIST_PNG)
            grid(page, tasks, out / GRID_PNG)
        board_png(katas.board(), out / BOARD_PNG)
        print(f"==> {out / BOARD_PNG}")
    except sysdeps.MissingSystemPackages as exc:
        print(f"screenshots: ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


def dag_list(page: Page, path: Path) -> None:
    """The list as a table, a row per DAG: all ten fit (the default cards show five)."""
    dag_ids = ui.shown_dag_ids(page)  # waits until every DAG the heading counts is on the page
    page.set_viewport_size(LIST_VIEWPORT)
    page.get_by_role("button", name="Show table view").click()
    for dag_id in dag_ids:
        expect(page.get_by_role("link", name=dag_id, exact=True)).to_be_visible(timeout=ui.TIMEOUT_MS)
    page.screenshot(path=str(path))
    page.set_viewport_size(ui.VIEWPORT)
    print(f"==> {path}")


def grid(page: Page, tasks: list[str], path: Path) -> None:
    ui.open_dag(page, DAG_ID)
    for task_id in tasks:
        expect(ui.grid_task(page, task_id)).to_be_visible(timeout=ui.TIMEOUT_MS)
    # The runs' cells load after the task names: a state badge each (data-testid in 3.3).
    expect(page.get_by_test_id("task-state-badge").first).to_be_visible(timeout=ui.TIMEOUT_MS)
    widen_grid(page, GRID_WIDTH)
    page.screenshot(path=str(path))
    print(f"==> {path}")


def widen_grid(page: Page, x: int) -> None:
    """Drag the splitter between the grid and the details panel to `x` pixels: the grid's
    default width shows only its first few runs. In Airflow 3.3 the splitter is a separator
    holding the "Collapse Details Panel" button halfway down: the drag takes it near the top."""
    splitter = page.get_by_role("separator").filter(has=page.get_by_role("button", name="Collapse Details Panel"))
    box = splitter.bounding_box()
    grip = box["y"] + 40
    page.mouse.move(box["x"] + box["width"] / 2, grip)
    page.mouse.down()
    page.mouse.move(x, grip, steps=10)
    page.mouse.up()
    # Bounded wait until the panels have been laid out around the splitter's new place.
    page.wait_for_function("x => [...document.querySelectorAll('[role=separator]')]"
                           ".some(el => Math.abs(el.getBoundingClientRect().left - x) < 20)",
                           arg=x, timeout=ui.TIMEOUT_MS)


def board_png(text: str, path: str | os.PathLike) -> Path:
    """`text` in a monospace font on a plain page, as a PNG the size of the text."""
    with ui.chromium() as browser:
        page = ui.new_page(browser)
        page.set_content(
            "<body style='margin:0;background:#fff'>"
            "<pre style='margin:0;padding:16px 20px;font:14px/1.4 DejaVu Sans Mono,monospace;color:#1a202c;"
            f"background:#f7fafc;display:inline-block'>{html.escape(text)}</pre></body>")
        page.locator("pre").screenshot(path=str(path))
        page.context.close()
    return Path(path)


if __name__ == "__main__":
    sys.exit(main())
