"""Gate granularity, gradient check, staged code and the nudge plot, as a learner uses them."""

from __future__ import annotations

import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.browser.test_page import input_grad, open_program

NEURON = "w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\nf = sigmoid(w0*x0 + w1*x1 + w2)\n"
GRADS = {"w0": "−0.197", "x0": "0.393", "w1": "−0.393", "x1": "−0.59", "w2": "0.197"}


def input_grads(page: Page) -> dict[str, str]:
    return {name: input_grad(page, name) for name in GRADS}


def test_granularity_switch_keeps_the_gradients(page: Page, shot) -> None:
    open_program(page, NEURON, step=60)
    gates = page.locator("#circuit .node.gate")
    expect(gates).to_have_count(5)
    assert input_grads(page) == GRADS
    page.get_by_label("Composite gates as primitives").check()
    expect(gates).to_have_count(8)  # σ became × −1, exp, + 1, 1/x
    labels = gates.locator(".symbol").all_text_contents()
    assert "exp" in labels and "÷" in labels and "σ" not in labels
    page.get_by_role("button", name="Step forward").is_disabled()
    page.locator("#timeline").fill("100")
    expect(page.locator("#position")).to_have_text(re.compile(r"^(\d+) / \1$"))
    assert input_grads(page) == GRADS
    shot("expanded")
    page.get_by_label("Composite gates as primitives").uncheck()
    expect(gates).to_have_count(5)


def test_one_gate_expands_and_collapses_in_place(page: Page) -> None:
    open_program(page, "a = sigmoid(x)\nb = tanh(x)\nf = a * b", {"x": 0.5}, step=40)
    gates = page.locator("#circuit .node.gate")
    expect(gates).to_have_count(3)
    expand_sigma = page.get_by_role("button", name="Expand σ into its primitive gates")
    expand_sigma.click()
    expect(gates).to_have_count(6)  # tanh stays one gate
    expect(page.locator("#circuit .node.gate .symbol", has_text="tanh")).to_have_count(1)
    collapse = page.get_by_role("button", name="Collapse back into one sigmoid gate")
    collapse.focus()
    page.keyboard.press("Enter")
    expect(gates).to_have_count(3)


def test_gradient_check_badges_and_kinks(page: Page, shot) -> None:
    open_program(page, NEURON, step=60)
    marks = page.locator("#circuit .check-mark")
    expect(marks.filter(has_text="✓")).to_have_count(5)
    page.get_by_role("tab", name="Gradient check").click()
    rows = page.locator("#check-rows tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("✓ agrees")
    expect(page.locator("#check-kink")).to_be_hidden()
    open_program(page, "f = relu(x) + max(a, b)", {"x": 0, "a": 1, "b": 1}, step=40)
    page.get_by_role("tab", name="Gradient check").click()
    expect(page.locator("#check-kink")).to_be_visible()
    expect(page.locator("#check-kink")).to_contain_text("kink")
    shot("gradient-check-kink")


def test_code_tab_follows_the_stepper(page: Page, shot) -> None:
    open_program(page, "q = x + y\nf = q * x", {"x": -2, "y": 5})
    page.get_by_role("tab", name="Code").click()
    code = page.locator("#code")
    expect(code).to_contain_text("dx += (1) * dq")
    forward = page.get_by_role("button", name="Step forward")
    current = page.locator("#code .code-line.current")
    for _ in range(3):
        forward.click()
    expect(current).to_have_text(re.compile(r"^q = x \+ y"))
    forward.click()
    expect(current).to_have_text(re.compile(r"^f = q \* x"))
    forward.click()  # the seed
    expect(current).to_contain_text("df = 1.0")
    forward.click()
    expect(current).to_have_text(re.compile(r"^dq = \(x\) \* df"))
    forward.click()
    expect(current).to_have_text(re.compile(r"^dx = \(q\) \* df"))
    forward.click()
    expect(current).to_have_text(re.compile(r"^dx \+= \(1\) \* dq"))
    shot("code-tab")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("import math") and "dy = (1) * dq" in copied


def test_nudge_plot_moves_with_the_slider(page: Page, shot) -> None:
    open_program(page, "f = x^2", {"x": 1}, step=10)
    page.get_by_role("tab", name="Nudge plot").click()
    label = page.locator("#plot .plot-label")
    expect(label).to_have_text("slope at x = 1: ∂f/∂x = 2")
    point = page.locator("#plot .plot-point")
    before = float(point.get_attribute("cx"))
    curve = page.locator("#plot .plot-curve").get_attribute("points")
    page.get_by_role("slider", name="x slider").fill("2")
    expect(label).to_have_text("slope at x = 2: ∂f/∂x = 4")
    assert float(point.get_attribute("cx")) > before
    # the range stays put while the same input is nudged: the curve does not move
    assert page.locator("#plot .plot-curve").get_attribute("points") == curve
    shot("nudge-plot")


def test_expanded_preset_opens_with_primitives(page: Page) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("sigmoid-neuron-expanded")
    expect(page.get_by_label("Composite gates as primitives")).to_be_checked()
    expect(page.locator("#circuit .node.gate .symbol", has_text="exp")).to_have_count(1)
    expect(page.locator("#example-text")).to_contain_text("× −1, exp, + 1, 1/x")


def test_code_tab_of_a_circuit_too_large_to_write(page: Page) -> None:
    # 1,700 lines of three nodes each: over the 5,000 nodes the staged program allows
    lines = ["a0 = 0.5"] + [f"a{k + 1} = a{k} * 1.0001 + 0.001" for k in range(1700)]
    page.goto("/#lang=en&p=" + quote("\n".join(lines)))
    expect(page.locator("#circuit .node").first).to_be_visible(timeout=20_000)
    page.get_by_role("tab", name="Code").click()
    expect(page.locator("#code")).to_contain_text("at most 5,000 nodes")
    expect(page.get_by_role("alert")).to_be_hidden()
    expect(page.locator("#circuit-wrap")).not_to_have_class(re.compile("stale"))
