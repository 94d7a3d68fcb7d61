"""Collapsing a statement of a small program (issue 15): a program of a few gates is drawn
whole, as always, and any statement of two gates or more collapses into its box (the
box a big program opens with): − on a focused gate, or the − that shows at a gate's top
left under the pointer. The box shows the statement's value and gradient, steps as one
step with the explanation of what happened inside it, and + (or its handle) brings the
gates back, with the stepper where it was. The link keeps the collapsed statements.
"""

from __future__ import annotations

import math
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from app.examples import EXAMPLES
from app.pipeline import run
from tests.browser.test_folding import no_overlaps, position

# Hung-yi Lee's neuron: z (4 gates), a (1 gate), C (2 gates and the constant 2)
LEE = "hung-yi-lee"
Z = "z = w1*x1 + w2*x2 + b"
C = "C = (a - t)^2"


def lee() -> str:
    """The preset's program, as the server lists it."""
    return next(x for x in EXAMPLES if x["id"] == LEE)["source"]


def open_preset(page: Page, preset: str, lang: str = "en") -> None:
    page.goto(f"/?lang={lang}")
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.select_option("#examples", preset)
    # both presets used here have an input x1
    expect(page.locator("#circuit .node.input", has_text="x1")).to_have_count(1)


def drawn(page: Page) -> list[tuple[str, str]]:
    """Every node drawn: its class and its texts."""
    return page.evaluate("""() => [...document.querySelectorAll('#circuit .node')].map(
        (g) => [g.getAttribute('class').replace(/ (computed|current|hl)/g, ''), g.textContent])""")


def gate(page: Page, name: str):
    named = page.locator(".node-name", has_text=re.compile(f"^{name}$"))
    return page.locator("#circuit .node.gate", has=named)


BOX = "#circuit .node.group-box"


def test_a_small_program_draws_as_before_until_a_statement_is_collapsed(page: Page, shot) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_preset(page, LEE)
    graph = run(lee()).graph
    expect(page.locator("#circuit .node")).to_have_count(len(graph))
    # as the server laid it out: no box, no frame, no − on show
    assert page.locator(f"{BOX}, #circuit .group-frame, #circuit .frame-title").count() == 0
    # a − each for z's gates, C's and its constant
    assert page.locator("#circuit .fold-handle").count() == 4 + 2 + 1
    expect(page.locator("#circuit .fold-handle.near")).to_have_count(0)
    for handle in page.locator("#circuit .fold-handle").all():
        expect(handle).to_be_hidden()
    before = drawn(page)
    no_overlaps(page, "Hung-yi Lee's neuron, drawn whole")
    shot("small-whole")

    # the pointer on a gate of z shows its −; on a gate of a one-gate statement none
    gate(page, "z").hover()
    handle = page.locator("#circuit .fold-handle.near")
    expect(handle).to_have_count(1)
    expect(handle).to_be_visible()
    assert handle.get_attribute("aria-label") == f"Fold {Z} into one box"
    gate(page, "a").hover()
    expect(page.locator("#circuit .fold-handle.near")).to_have_count(0)
    page.mouse.move(0, 0)

    # collapsed, then expanded: the same drawing again
    gate(page, "z").focus()
    page.keyboard.press("-")
    expect(page.locator(BOX)).to_have_count(1)
    page.keyboard.press("+")
    expect(page.locator(BOX)).to_have_count(0)
    expect(page.locator("#circuit .node")).to_have_count(len(graph))
    assert drawn(page) == before


def test_a_statement_collapses_steps_as_one_and_expands_again(page: Page, shot) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_preset(page, LEE)
    gates = page.locator("#circuit .node.gate")
    expect(gates).to_have_count(7)
    page.locator("#timeline").press("End")
    done, total = position(page)
    assert done == total

    # − on a focused gate of z: its four gates become one box, titled by its line
    gate(page, "z").focus()
    page.keyboard.press("-")
    box = page.locator(BOX)
    expect(box).to_have_count(1)
    expect(box.locator(".group-title")).to_have_text(Z)
    # z = 1·1 + (−2)(−1) + 1 = 4, and ∂C/∂z = 2(a − t)·a(1 − a) with a = σ(4)
    expect(box.locator(".group-stats")).to_have_text(re.compile(r"^= 4\s+∂ [0-9.]+$"))
    a = 1 / (1 + math.exp(-4))
    shown = float(box.locator(".group-stats").text_content().split("∂")[1])
    assert shown == pytest.approx(2 * (a - 0.5) * a * (1 - a), rel=5e-3)  # shown to three figures
    expect(gates).to_have_count(3)
    # the other statement of two gates is framed, to be collapsed too
    expect(page.locator("#circuit .frame-title")).to_have_text([C])
    done, collapsed_total = position(page)
    assert done == collapsed_total < total  # still at the end, of fewer steps
    expect(box).to_be_focused()
    no_overlaps(page, "z collapsed")
    shot("small-collapsed-end")

    # stepped through: forward and backward through z as one step each
    page.locator("#timeline").press("Home")
    expect(box.locator(".group-stats")).to_have_text("4 gates")
    explain = page.locator("#explain")
    for _ in range(7):  # the six inputs, then z
        page.locator("#forward").click()
    expect(explain).to_contain_text(f"Forward through “{Z}” as one step: its 4 gates compute z = ")
    page.locator("#timeline").press("End")
    expect(explain).to_contain_text(
        f"Backward through “{Z}” as one step: its 4 gates add their share of ∂C")

    # + on the box brings the gates back, the stepper still at the end
    box.focus()
    page.keyboard.press("+")
    expect(box).to_have_count(0)
    expect(gates).to_have_count(7)
    assert position(page) == (total, total)
    expect(page.locator("#circuit .group-frame")).to_have_count(0)

    # with the mouse: the − at C's gate, then the + on its box
    gate(page, "C").hover()
    page.locator("#circuit .fold-handle.near").click()
    expect(box).to_have_count(1)
    expect(box.locator(".group-title")).to_have_text(C)
    page.wait_for_url(re.compile(r"c=g2"))
    no_overlaps(page, "C collapsed with the mouse")
    shot("small-collapsed-mouse")
    page.locator(f"#circuit .group-handle[aria-label='Unfold {C}']").click()
    expect(box).to_have_count(0)
    expect(gates).to_have_count(7)
    assert position(page) == (total, total)


def test_the_link_keeps_the_collapsed_statements(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_preset(page, LEE)
    gate(page, "C").focus()
    page.keyboard.press("-")
    gate(page, "z").focus()
    page.keyboard.press("-")
    expect(page.locator(BOX)).to_have_count(2)
    page.locator("#timeline").press("End")
    done, total = position(page)
    page.wait_for_url(re.compile(r"c=g2%2Cg0|c=g2,g0"))
    link = page.url

    other = page.context.new_page()
    other.goto(link)
    boxes = other.locator(BOX + " .group-title")
    expect(boxes).to_have_text([Z, C])
    assert position(other) == (done, total)
    # a new program starts drawn whole
    if other.locator("#program-panel").is_hidden():  # folded away for the drawing's room
        other.locator("#fold-program").click()
    other.get_by_role("textbox", name="Program").fill("x = 2\ny = 3\nf = x*y + y\n")
    expect(other.locator("#circuit .node.gate")).to_have_count(2)
    assert other.locator(BOX).count() == 0
    other.wait_for_url(lambda url: "c=" not in url)
    # a link read by hand: made-up ids are left out, the rest draws whole
    other.goto(f"/#p={quote(lee())}&c=g9,evil,g1&lang=en")
    expect(other.locator("#circuit .node.gate")).to_have_count(7)
    assert other.locator(BOX).count() == 0


def test_collapsed_in_chinese_on_a_phone_in_the_dark(page: Page, shot) -> None:
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    open_preset(page, "sigmoid-neuron", lang="zh")
    expect(page.locator("#circuit .node.gate")).to_have_count(5)
    no_overlaps(page, "the sigmoid neuron, whole, in Chinese at 390 px")
    shot("small-zh-390-dark-whole")
    gate(page, "f").hover()
    handle = page.locator("#circuit .fold-handle.near")
    expect(handle).to_be_visible()
    title = "f = sigmoid(w0*x0 + w1*x1 + w2)"
    assert handle.get_attribute("aria-label") == f"把 {title} 收起成一个框"
    shot("small-zh-390-dark-handle")
    handle.click()
    box = page.locator(BOX)
    expect(box.locator(".group-title")).to_have_text(title)
    expect(box.locator(".group-stats")).to_have_text("5 个门")
    unfold = page.locator("#circuit .group-handle").first
    assert unfold.get_attribute("aria-label") == f"展开 {title}"
    for _ in range(6):  # five inputs, then f
        page.locator("#forward").click()
    expect(page.locator("#explain")).to_contain_text(
        f"前向一步走完“{title}”：它的 5 个门算出 f = ")
    expect(box.locator(".group-stats")).to_have_text(re.compile(r"^= 0\.73[0-9]*$"))
    no_overlaps(page, "the sigmoid neuron collapsed, in Chinese at 390 px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("small-zh-390-dark-collapsed")
    box.focus()
    page.keyboard.press("+")
    expect(page.locator("#circuit .node.gate")).to_have_count(5)
    assert position(page)[0] == 5 + 5  # where it was: the inputs and the five gates forward


def test_a_heading_section_collapses_from_a_one_gate_statement_in_it(page: Page) -> None:
    program = "# the product\nx = 2\ny = 3\nq = x*y\n# the sum\nf = q + 1\n"
    page.goto(f"/#p={quote(program)}&lang=en")
    expect(page.locator("#circuit .node.gate")).to_have_count(2)
    gate(page, "q").focus()
    page.keyboard.press("-")
    box = page.locator(BOX)
    expect(box.locator(".group-title")).to_have_text(["the product"])
    expect(page.locator("#circuit .node.gate")).to_have_count(1)
    # the sum's one gate collapses its section too; + on the box brings it back
    gate(page, "f").focus()
    page.keyboard.press("-")
    expect(box.locator(".group-title")).to_have_text(["the product", "the sum"])
    box.first.focus()
    page.keyboard.press("+")
    expect(box.locator(".group-title")).to_have_text(["the sum"])
    expect(gate(page, "q")).to_have_count(1)
