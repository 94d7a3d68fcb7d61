"""Training on the page: progress, the loss curve, the decision boundary, cancel."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Page, expect


def open_training(page: Page, lang: str = "en") -> None:
    page.goto(f"/?lang={lang}")
    expect(page.locator("#circuit .node").first).to_be_visible()
    name = "Examples" if lang == "en" else "示例"
    page.get_by_role("combobox", name=name).select_option("seed004-train")
    # the preset opens the Train tab with the seed's settings and draws its data
    expect(page.locator("#train-panel")).to_be_visible()
    expect(page.locator("#train-canvas-wrap")).to_be_visible()
    expect(page.locator("#circuit .node.input")).to_have_count(6)


def running(base_url: str) -> int:
    return httpx.get(f"{base_url}/api/train/status").json()["running"]


def test_a_short_run_draws_the_curve_and_the_boundary(page: Page, shot, base_url: str) -> None:
    open_training(page)
    assert page.get_by_label("Passes").input_value() == "20000"
    assert page.get_by_label("Data set").input_value() == "moons"
    canvas = page.locator("#train-boundary")
    before = canvas.screenshot()
    page.get_by_label("Passes").fill("3000")
    page.get_by_role("button", name="Train", exact=True).click()
    note = page.locator("#train-note")
    expect(note).to_contain_text("Done: 3,000 passes", timeout=30_000)
    accuracy = float(re.search(r"accuracy ([\d.]+)%", note.inner_text()).group(1))
    assert accuracy > 85
    expect(page.locator("#train-progress")).to_have_attribute("value", "3000")
    line = page.locator("#train-loss .loss-line")
    linear = line.get_attribute("d")
    assert linear.count("L") > 50  # the loss after many passes, not a couple of points
    page.get_by_label("log scale").check()
    expect(line).not_to_have_attribute("d", linear)
    assert canvas.screenshot() != before  # the boundary is drawn under the points
    shot("training-done")
    # the trained parameters go into the program's inputs
    page.get_by_role("button", name="Use the trained parameters").click()
    expect(page.get_by_role("textbox", name="W1")).not_to_have_value("[[0,0,0],[0,0,0]]")
    assert running(base_url) == 0


def test_a_long_run_shows_live_parameters_and_cancels(page: Page, shot, base_url: str) -> None:
    open_training(page)
    page.get_by_role("button", name="Train", exact=True).click()
    note = page.locator("#train-note")
    expect(note).to_contain_text("Pass ", timeout=10_000)
    # the parameters being trained are highlighted in the circuit with their latest numbers
    expect(page.locator("#circuit .node.input.live")).to_have_count(4)
    w1 = page.locator('#circuit .tensor-view[data-id="n2"] .tensor-num.value').first
    first = w1.text_content()
    expect(w1).not_to_have_text(first, timeout=10_000)
    shot("training-live")
    page.get_by_role("button", name="Cancel").click()
    expect(note).to_contain_text("Cancelled after")
    deadline = time.monotonic() + 5
    while running(base_url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(base_url) == 0


def test_closing_the_page_mid_run_frees_the_run(page: Page, base_url: str) -> None:
    open_training(page)
    page.get_by_label("Passes").fill("100000")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("Pass ", timeout=10_000)
    assert running(base_url) == 1
    page.close()
    deadline = time.monotonic() + 5
    while running(base_url) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert running(base_url) == 0


def test_training_in_chinese(page: Page, shot) -> None:
    open_training(page, "zh")
    page.get_by_label("轮数").fill("1000")
    page.get_by_role("button", name="训练", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("完成：1,000 轮", timeout=30_000)
    shot("training-zh")
