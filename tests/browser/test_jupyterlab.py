"""`circuit.show()` in a real JupyterLab, in Chromium: the docs notebook is run, the widget
appears, steps through the backward pass with the page's own stepper and explanation (each
request answered by the kernel), tells Python its step, keeps its keys to itself, and is
screenshotted for a person to look at (test-artifacts/jupyterlab-widget.png)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.packaging import ROOT, free_port

NOTEBOOK = ROOT / "docs" / "backprop-lab.ipynb"


@pytest.fixture()
def jupyterlab(tmp_path: Path) -> Iterator[str]:
    """JupyterLab on a free loopback port, token and password off, its settings, runtime
    and workspaces in tmp_path, serving a copy of the docs notebook."""
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / "backprop-lab.ipynb")
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    notebook = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    notebook.mkdir(parents=True)  # every cell in the page, not only those scrolled to
    (notebook / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--IdentityProvider.token=", "--ServerApp.password=",
               f"--ServerApp.root_dir={root}", "--expose-app-in-browser",
               f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
               f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, (tmp_path / "jupyterlab.log").read_text()
        try:
            if httpx.get(f"{base}/api/status", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "JupyterLab did not start"
        time.sleep(0.2)
    try:
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def cell_index(page: Page, tag: str) -> int:
    return page.evaluate("""(tag) => window.jupyterapp.shell.currentWidget.content.widgets
        .findIndex((cell) => (cell.model.getMetadata('tags') || []).includes(tag))""", tag)


def test_the_widget_steps_in_jupyterlab(jupyterlab: str, page: Page, shot) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(f"{err}\n{err.stack}"))
    page.goto(f"{jupyterlab}/lab/tree/backprop-lab.ipynb")
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.content", timeout=60_000)
    # a fresh JupyterLab may ask which kernel the notebook should start: its own
    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:
        select.wait_for(timeout=10_000)
        select.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_function("window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           ".kernel", timeout=60_000)
    # started, not awaited: the command's promise settles when every cell has run
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    widget = page.locator(".backprop-lab-widget[data-ready='1']")
    try:
        widget.wait_for(state="attached", timeout=90_000)
    except Exception:
        shot("jupyterlab-widget-failed")
        raise AssertionError(f"the widget did not start: {errors}") from None
    widget.scroll_into_view_if_needed()
    position = widget.locator("#position")
    expect(position).to_have_text(re.compile(r"^0 / 10"), timeout=30_000)

    forward = widget.locator("#forward")
    for _ in range(10):
        forward.click()
    expect(position).to_have_text(re.compile(r"^10 / 10"))
    expect(widget.locator("#explain-math")).to_have_text("∂f/∂y = ∂f/∂(x + y) · ∂(x + y)/∂y "
                                                         "= (−4) · 1 = −4")
    expect(widget.locator("#circuit")).to_contain_text("−12")
    expect(widget.locator("#tab-train")).to_be_hidden()
    # a teaching tool, answered by the kernel
    widget.get_by_role("tab", name="Gradient check").click()
    expect(widget.locator("#check-rows tr")).to_have_count(3)
    widget.get_by_role("tab", name="Explanation").click()

    # the kernel knows the step: run the cell that asks
    index = cell_index(page, "widget-step")
    page.evaluate("""(i) => { const panel = window.jupyterapp.shell.currentWidget;
        panel.content.activeCellIndex = i;
        window.jupyterapp.commands.execute('notebook:run-cell'); }""", index)
    step_output = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(
        ".jp-OutputArea-output")
    expect(step_output).to_have_text("10", timeout=30_000)

    # keys inside the widget stay there: ← steps back, "d d" deletes no cell, and arrows
    # move to no other cell (clicking into the widget makes its cell the active one)
    cells = page.locator(".jp-Notebook .jp-Cell")
    count = cells.count()
    active = "window.jupyterapp.shell.currentWidget.content.activeCellIndex"
    program = widget.locator("#program")
    program.click()
    before = page.evaluate(active)
    page.keyboard.press("End")
    page.keyboard.type("  # dd")
    expect(program).to_have_value("f = (x + y) * z  # dd")
    widget.locator("#back").focus()
    page.keyboard.press("ArrowLeft")
    expect(position).to_have_text(re.compile(r"^9 / 10"))
    page.keyboard.press("ArrowDown")
    expect(cells).to_have_count(count)
    assert page.evaluate(active) == before

    widget.locator("#forward").focus()
    widget.scroll_into_view_if_needed()
    shot("jupyterlab-widget")
