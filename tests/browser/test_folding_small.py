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


def open_preset(page: Page, preset: str, lang: str = "en", first: str = "x1") -> None:
    page.goto(f"/?lang={lang}")
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.select_option("#examples", preset)
    # drawn once the preset's input `first` is
    expect(page.locator("#circuit .node.input", has_text=first)).to_have_count(1)


def drawn(page: Page) -> list[tuple[str, str]]:
    """Every node drawn: its class and its texts."""
    return page.evaluate("""() => [...document.querySelectorAll('#circuit .node')].map(
        (g) => [g.getAttribute('class').replace(/ (computed|current|hl)/g, ''), g.textContent])""")


def gate(page: Page, name: str):
    named = page.locator(".node-name", has_text=re.compile(f"^{name}$"))
    return page.locator("#circuit .node.gate", has=named)


BOX = "#circuit .node.group-box"


def inputs_at(page: Page) -> dict[str, tuple[float, float]]:
    """Each input's (and constant's) shape's centre, in the drawing's own coordinates."""
    return page.evaluate("""() => {
        const back = document.querySelector('#circuit .viewport').getScreenCTM().inverse();
        const out = {};
        for (const g of document.querySelectorAll('#circuit .node.input, #circuit .node.const')) {
            const r = g.querySelector('.shape').getBoundingClientRect();
            const p = new DOMPoint(r.x + r.width / 2, r.y + r.height / 2).matrixTransform(back);
            const symbol = g.querySelector('.symbol');
            out[symbol ? symbol.textContent : g.textContent] = [p.x, p.y];
        }
        return out;
    }""")


def fits(page: Page, what: str) -> None:
    """Every node and box drawn lies inside the circuit's visible box, whole."""
    outside = page.evaluate("""() => {
        const box = document.querySelector('#circuit').parentElement.getBoundingClientRect();
        return [...document.querySelectorAll('#circuit .node')].map((g) => {
            const r = g.getBoundingClientRect();
            return [g.textContent, r.left - box.left, r.top - box.top, box.right - r.right,
                    box.bottom - r.bottom];
        }).filter((row) => row.slice(1).some((d) => d < -0.5));
    }""")
    assert not outside, f"{what}: cut off at the view's edges: {outside}"


def keeps_places(whole: dict[str, tuple[float, float]], folded: dict[str, tuple[float, float]],
                 width: float, what: str) -> None:
    """The inputs shown in both keep their order, up and down and left to right, and the
    first column's their x."""
    names = [name for name in whole if name in folded]
    assert len(names) >= 3, what
    for a in names:  # of two a row apart or more, the upper one stays above, the left one left
        for b in names:
            for axis in (0, 1):
                if whole[b][axis] - whole[a][axis] > 20:
                    assert folded[b][axis] > folded[a][axis], (what, a, b, whole, folded)
    # the first column's stay put; one further right moves left by the room of the
    # columns its statement's gates emptied, never past one left of it (above)
    first = min(whole[n][0] for n in names)
    for name in names:
        was, now = whole[name][0], folded[name][0]
        if was - first < 1:
            assert abs(now - was) < 2, (what, name, was, now)
        assert now - was <= 0.1 * width, (what, name, was, now)


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
    whole = inputs_at(page)
    width = page.evaluate("document.querySelector('#circuit .viewport').getBBox().width")

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
    # laid out as the whole drawing was, framed not: all of it in view, each input where it was
    assert page.locator("#circuit .group-frame, #circuit .frame-title").count() == 0
    done, collapsed_total = position(page)
    assert done == collapsed_total < total  # still at the end, of fewer steps
    expect(box).to_be_focused()
    no_overlaps(page, "z collapsed")
    fits(page, "z collapsed at 1366×768")
    folded = inputs_at(page)
    keeps_places(whole, folded, width, "z collapsed")
    # the column of z's two × gates, left empty, closed up: b moved left, nearer the box
    assert folded["b"][0] < whole["b"][0] - 50, (whole["b"], folded["b"])
    # an input's numbers sit at its left
    left_of = page.evaluate("""() => [...document.querySelectorAll('#circuit .node.input')]
      .map((g) => {
        const shape = g.querySelector('.shape').getBoundingClientRect();
        return [...g.querySelectorAll('.value, .grad')].every((t) => t.getBoundingClientRect().right
            <= shape.left && t.textContent !== '');
    })""")
    assert left_of == [True] * 6, left_of
    shot("small-collapsed-end")
    # the other statement of two gates collapses too: its − shows at its gate
    gate(page, "C").hover()
    handle = page.locator("#circuit .fold-handle.near")
    expect(handle).to_be_visible()
    assert handle.get_attribute("aria-label") == f"Fold {C} into one box"
    page.mouse.move(0, 0)
    gate(page, "C").focus()
    page.keyboard.press("-")
    expect(box.locator(".group-title")).to_have_text([Z, C])
    no_overlaps(page, "z and C collapsed")
    fits(page, "z and C collapsed at 1366×768")
    shot("small-collapsed-both")
    box.last.focus()
    page.keyboard.press("+")
    expect(box).to_have_count(1)

    # stepped through: forward and backward through z as one step each
    assert position(page) == (collapsed_total, collapsed_total)
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


@pytest.mark.parametrize(("preset", "first", "name", "title"), [
    ("sigmoid-neuron", "x1", "f", "f = sigmoid(w0*x0 + w1*x1 + w2)"),
    ("mazur-network", "i1", "out_h1", "out_h1 = sigmoid(w1*i1 + w2*i2 + b1)"),
])
def test_a_collapsed_statement_keeps_the_drawing_in_view(page: Page, shot, preset: str, first: str,
                                                          name: str, title: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_preset(page, preset, first=first)
    page.locator("#timeline").press("End")
    whole = inputs_at(page)
    width = page.evaluate("document.querySelector('#circuit .viewport').getBBox().width")
    shot(f"small-whole-{preset}")
    fitted = page.evaluate("""() => {  // the whole drawing all in view, as it opens
        const box = document.querySelector('#circuit').parentElement.getBoundingClientRect();
        const r = document.querySelector('#circuit .viewport').getBoundingClientRect();
        return r.left >= box.left - 0.5 && r.top >= box.top - 0.5 && r.right <= box.right + 0.5
            && r.bottom <= box.bottom + 0.5;
    }""")
    gate(page, name).focus()
    page.keyboard.press("-")
    expect(page.locator(BOX + " .group-title")).to_have_text([title])
    shot(f"small-collapsed-{preset}")
    no_overlaps(page, f"{preset}: {name} collapsed")
    if fitted:  # a drawing that opened all in view stays all in view
        fits(page, f"{preset}: {name} collapsed at 1366×768")
    keeps_places(whole, inputs_at(page), width, f"{preset}: {name} collapsed")


def test_on_a_phone_the_gradients_a_collapsed_statement_sends_are_in_view(page: Page, shot) -> None:
    """At 390 px the collapsed sigmoid neuron is wider than the circuit's box. Stepping
    forward through the box, the view pans to the box, all of it (its title and value);
    stepping back through it as one step, to where its gradients arrive: every input, its
    value and its new gradient at its left, whole on screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/#p={quote(next(x for x in EXAMPLES if x['id'] == 'sigmoid-neuron')['source'])}"
              "&c=g0&lang=en")
    expect(page.locator(BOX)).to_have_count(1)
    for _ in range(6):  # five inputs, then the box
        page.locator("#forward").click()
    expect(page.locator("#explain")).to_contain_text("as one step")
    page.wait_for_function("""() => {  // the box whole in the circuit's box
        const box = document.getElementById('circuit').getBoundingClientRect();
        const r = document.querySelector('#circuit .node.group-box').getBoundingClientRect();
        return r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
    }""", timeout=5000)
    shot("small-390-collapsed-forward")
    page.locator("#timeline").press("End")
    expect(page.locator("#explain")).to_contain_text("as one step")
    page.wait_for_function("""() => {  // the inputs with their numbers, whole in the box
        const box = document.getElementById('circuit').getBoundingClientRect();
        const inputs = [...document.querySelectorAll('#circuit .node.input')];
        return inputs.length === 5 && inputs.every((g) => {
            const r = g.getBoundingClientRect();
            return r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
        });
    }""", timeout=5000)
    grads = page.locator("#circuit .node.input .grad.side")
    expect(grads).to_have_count(5)
    assert all(t.strip() for t in grads.all_text_contents())  # every gradient arrived
    page.locator("#circuit").scroll_into_view_if_needed()
    shot("small-390-collapsed-end")
