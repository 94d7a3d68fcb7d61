"""The view: every circuit opens fitted and readable, the stepper keeps its gate in view,
and the circuit, the stepper and the explanation share one screen; a tensor's numbers
read as well as the numbers on the wires, without float noise."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.browser.drawing import settle

MAX_FIT = 1.25  # static/js/zoom.js
MIN_READABLE = 0.7
FOLDED_READABLE = 0.62  # static/js/circuitpanel.js


def scale(page: Page) -> float:
    transform = page.locator("#circuit .viewport").get_attribute("transform")
    return float(re.search(r"scale\(([\d.]+)\)", transform)[1])


def inside(box: dict, frame: dict, slack: float = 0.5) -> bool:
    return (box["x"] >= frame["x"] - slack and box["y"] >= frame["y"] - slack
            and box["x"] + box["width"] <= frame["x"] + frame["width"] + slack
            and box["y"] + box["height"] <= frame["y"] + frame["height"] + slack)


def choose(page: Page, preset: str) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option(preset)
    expect(page.locator("#circuit .output-edge")).to_be_attached()
    settle(page)


def first_line(page: Page) -> dict:
    """The box of the explanation's first line of text."""
    return page.evaluate("""() => {
      const p = [...document.querySelectorAll("#explain p")].find((e) => e.textContent.trim());
      const range = document.createRange();
      range.selectNodeContents(p);
      const r = range.getClientRects()[0];
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    }""")


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_circuit_stepper_and_explanation_on_one_screen(page: Page, size: tuple[int, int]) -> None:
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    screen = {"x": 0, "y": 0, "width": width, "height": height}
    for preset in ("staged-backprop", "mazur-network", "tanh-mlp-softmax"):
        choose(page, preset)
        forward = page.get_by_role("button", name="Step forward")
        for _ in range(12):
            forward.click()
            assert inside(first_line(page), screen), preset
            for name in ("Reset", "Step back", "Play", "Step forward"):
                assert inside(page.get_by_role("button", name=name).bounding_box(), screen), name
            circuit = page.locator("#circuit").bounding_box()
            assert inside(circuit, screen) and circuit["height"] >= 230, (preset, circuit)
            # the gate of the step is on screen, in the circuit's box
            current = page.locator("#circuit .node.current")
            if current.count():
                assert inside(current.bounding_box(), circuit, 2), preset
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def every_node_inside(page: Page) -> bool:
    circuit = page.locator("#circuit").bounding_box()
    boxes = page.locator("#circuit g.node").evaluate_all(
        "(nodes) => nodes.map((n) => { const r = n.getBoundingClientRect();"
        " return { x: r.x, y: r.y, width: r.width, height: r.height }; })")
    return all(inside(box, circuit, 2) for box in boxes)


def test_the_program_folds_away_for_a_wider_circuit(page: Page) -> None:
    """Mazur's network at 1366 x 768 is too wide to show whole beside the program: the
    program's column folds away by itself and every gate, the output E included, is on
    screen at a readable scale; Show brings the program back and it stays."""
    page.set_viewport_size({"width": 1366, "height": 768})
    choose(page, "cs231n-add-mul")
    fold = page.get_by_role("button", name="Hide the program")
    expect(fold).to_have_attribute("aria-expanded", "true")  # a small circuit keeps it
    page.get_by_role("combobox", name="Examples").select_option("mazur-network")
    show = page.get_by_role("button", name="Show the program")
    expect(show).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("textbox", name="Program")).to_be_hidden()
    settle(page)
    page.wait_for_timeout(200)
    assert FOLDED_READABLE <= scale(page) <= MIN_READABLE + 0.2
    assert every_node_inside(page)
    expect(page.locator("#circuit .node.output, #circuit g.node").last).to_be_visible()
    show.click()
    expect(page.get_by_role("textbox", name="Program")).to_be_visible()
    before = page.locator("#circuit").bounding_box()["width"]
    page.get_by_role("combobox", name="Examples").select_option("mazur-network-tensor")
    expect(page.get_by_role("textbox", name="Program")).to_be_visible()  # once, not again
    hide = page.get_by_role("button", name="Hide the program")
    hide.click()
    expect(page.get_by_role("textbox", name="Program")).to_be_hidden()
    # the drawing takes the room on the resize that follows (a ResizeObserver, not at once)
    page.wait_for_function(
        "(before) => document.getElementById('circuit').getBoundingClientRect().width"
        " > before + 300", arg=before, timeout=5000)


def test_small_circuits_are_not_blown_up_and_big_ones_stay_readable(page: Page) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    choose(page, "cs231n-add-mul")
    assert scale(page) == pytest.approx(MAX_FIT, abs=1e-3)  # five gates in a big box
    lines = ["a0 = 0.5"] + [f"a{k + 1} = sigmoid(a{k} * 1.01 + 0.1)" for k in range(120)]
    page.goto("/?lang=en")
    page.goto(f"/#p={quote(chr(10).join(lines))}&lang=en&f=0")  # drawn whole, not folded
    expect(page.locator("#circuit .output-edge")).to_be_attached()
    settle(page)
    assert scale(page) == pytest.approx(MIN_READABLE, abs=1e-3)  # not a sliver: it pans
    circuit = page.locator("#circuit").bounding_box()
    # it opens on its output; the stepper then pans to each gate it steps to
    assert inside(page.locator("#circuit .output-edge path").bounding_box(), circuit, 2)
    forward = page.get_by_role("button", name="Step forward")
    for _ in range(3):
        forward.click()
    settle(page)
    assert inside(page.locator("#circuit .node.current").bounding_box(), circuit, 2)
    # Fit shows all of it, however small
    page.get_by_role("button", name="Fit to screen").click()
    assert scale(page) < MIN_READABLE


def test_every_preset_opens_with_its_output_in_view(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/?lang=en")
    expect(page.locator("#examples option").nth(5)).to_be_attached(timeout=15_000)
    # not the large ones (micrograd's demo network): they open folded (test_folding.py)
    presets = [v for v in page.locator("#examples option").evaluate_all(
        "(options) => options.filter((o) => !o.dataset.large).map((o) => o.value)") if v]
    for preset in presets:
        choose(page, preset)
        circuit = page.locator("#circuit").bounding_box()
        output = page.locator("#circuit .output-edge path").bounding_box()
        assert inside(output, circuit, 2), preset
        assert FOLDED_READABLE - 1e-3 <= scale(page) <= MAX_FIT + 1e-3, preset


def test_tensor_numbers_are_as_big_as_the_wire_labels_and_free_of_noise(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    choose(page, "tanh-mlp-softmax")
    page.locator("#timeline").press("End")
    settle(page)
    sizes = page.evaluate("""() => {
      const px = (sel) => [...document.querySelectorAll(sel)].filter((t) => t.textContent)
        .map((t) => [parseFloat(getComputedStyle(t).fontSize), t.getBoundingClientRect().height]);
      return { grid: px("#circuit .tensor-num"),
               wire: px("#circuit .edge text.value, #circuit .edge text.grad") };
    }""")
    assert sizes["grid"] and sizes["wire"]
    wire_font = max(f for f, _ in sizes["wire"])
    wire_height = max(h for _, h in sizes["wire"])
    for font, rendered in sizes["grid"]:
        assert font >= wire_font and rendered >= wire_height - 0.5
    assert wire_height >= 13 * MIN_READABLE  # on screen, at the view the page opened with
    numbers = page.locator("#circuit .tensor-num").all_text_contents()
    assert not [n for n in numbers if re.search(r"e-(1[3-9]|[2-9]\d)", n)], numbers

    # 0.1 + 0.2 − 0.3 is 5.55e-17 in floats: a 0 in the grid, the exact value on hover
    page.goto("/?lang=en")
    page.goto("/#p=" + quote("a = [0.1, 0.7]\nd = (a + 0.2) - 0.3\nf = sum(d * d)") + "&lang=en")
    expect(page.locator("#circuit .output-edge")).to_be_attached()
    page.locator("#timeline").press("End")
    grid = page.locator('#circuit .tensor-view[data-id="n4"] .tensor-block.value')
    expect(grid.locator(".tensor-num")).to_have_text(["0", "0.6"])
    expect(grid.locator("title").first).to_have_text(re.compile(r"= 5\.55\d*e-17$"))
