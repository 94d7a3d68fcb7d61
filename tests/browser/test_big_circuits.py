"""Finding one's way in a big circuit (issue 15): search by name, Fit width, the minimap.

A 1,000-gate network at 1366×768, in English and in Chinese.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

from bench.programs import neuron_network

BIG = neuron_network(1000)


def open_big(page: Page, lang: str = "en", width: int = 1366, height: int = 768) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"/#p={quote(BIG)}&lang={lang}&f=0")  # drawn whole: not folded
    expect(page.locator("#circuit .node").first).to_be_visible(timeout=30000)


def on_screen(page: Page, selector: str) -> bool:
    """Whether the element's middle is inside the circuit's box."""
    return page.evaluate("""(selector) => {
      const box = document.getElementById("circuit").getBoundingClientRect();
      const r = document.querySelector(selector).getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      return x > box.left && x < box.right && y > box.top && y < box.bottom;
    }""", selector)


def inputs_on_screen(page: Page) -> int:
    return page.evaluate("""() => {
      const box = document.getElementById("circuit").getBoundingClientRect();
      return [...document.querySelectorAll("#circuit .node.input")].filter((node) => {
        const r = node.getBoundingClientRect();
        return r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom;
      }).length;
    }""")


def named(name: str) -> str:
    return f'#circuit .node[aria-label="{name}"], #circuit .node[aria-label^="{name} "]'


def test_search_finds_a_name_pans_to_it_and_marks_it(page: Page, shot) -> None:
    open_big(page)
    assert not on_screen(page, named("h0_0"))  # the view opens on the output's end
    page.locator("#circuit .node").first.focus()
    page.keyboard.press("Control+f")
    field = page.locator("#circuit-search")
    expect(field).to_be_focused()
    page.keyboard.type("h0_0")
    expect(page.locator("#search-status")).to_have_text("1 of 1")
    found = page.locator("#circuit .node.found")
    expect(found).to_have_count(1)
    assert (found.get_attribute("aria-label") or "").split()[0] == "h0_0"
    assert on_screen(page, "#circuit .node.found")
    shot("big-circuit-search")
    # a part of many names: Enter goes to the next match, Shift+Enter back
    field.fill("h1_")
    status = page.locator("#search-status")
    expect(status).to_have_text(re.compile(r"^1 of (\d+)$"))
    first = found.get_attribute("aria-label")
    field.press("Enter")
    expect(status).to_have_text(re.compile(r"^2 of "))
    assert found.get_attribute("aria-label") != first
    assert on_screen(page, "#circuit .node.found")
    field.press("Shift+Enter")
    expect(status).to_have_text(re.compile(r"^1 of "))
    assert found.get_attribute("aria-label") == first
    field.fill("nothing_like_it")
    expect(status).to_have_text("no node named “nothing_like_it”")
    expect(found).to_have_count(0)
    field.press("Escape")
    expect(field).to_have_value("")


def test_fit_width_and_the_minimap(page: Page, shot) -> None:
    open_big(page)
    minimap = page.locator(".minimap")
    expect(minimap).to_be_visible()  # the drawing is larger than the view
    shot("big-circuit-minimap")
    # a click at the minimap's left end pans the view to the inputs
    box = minimap.bounding_box()
    assert inputs_on_screen(page) == 0
    minimap.click(position={"x": 6, "y": box["height"] / 2})
    assert inputs_on_screen(page) > 0
    frame = page.locator(".minimap-view").bounding_box()
    assert frame["x"] < box["x"] + box["width"] / 2  # the view's rectangle followed
    page.get_by_role("button", name="Fit width").click()
    widths = page.evaluate("""() => [
      document.getElementById("circuit").getBoundingClientRect().width,
      document.querySelector("#circuit .viewport").getBoundingClientRect().width]""")
    assert widths[1] <= widths[0] + 1 and widths[1] > widths[0] * 0.9, widths
    page.get_by_role("button", name="Fit to screen").click()
    expect(minimap).to_be_hidden()  # all of it in view: nothing to find the way in


def test_big_circuit_tools_in_chinese(page: Page, shot) -> None:
    open_big(page, "zh")
    field = page.locator("#circuit-search")
    expect(field).to_have_attribute("placeholder", "查找名字")
    expect(page.locator("#fit-width")).to_have_text("适应宽度")
    field.fill("h3_2")
    expect(page.locator("#search-status")).to_have_text("第 1 个，共 1 个")
    expect(page.locator(".minimap")).to_have_attribute("aria-label", re.compile("整个电路"))
    shot("big-circuit-zh")


def test_the_minimap_keeps_to_a_corner_on_a_phone(page: Page, shot) -> None:
    open_big(page, width=390, height=844)
    minimap = page.locator(".minimap")
    expect(minimap).to_be_visible()
    box = minimap.bounding_box()
    wrap = page.locator("#circuit-wrap").bounding_box()
    # a corner of the circuit, not a band across it: most of the drawing stays uncovered
    assert box["width"] <= 0.3 * wrap["width"] + 8 and box["height"] <= 0.22 * wrap["height"] + 8
    shot("big-circuit-minimap-390")


def test_the_minimap_hides_and_the_choice_is_kept(page: Page, shot) -> None:
    """The map covers a corner of the drawing, numbers included: the button above it
    hides it (the numbers under it show), brings it back, and a reload keeps the choice."""
    open_big(page)
    minimap = page.locator(".minimap")
    expect(minimap).to_be_visible()
    box = minimap.bounding_box()
    # a drag along the map takes the view with it: its rectangle follows the pointer
    middle = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 8, middle)
    page.mouse.down()
    frame = page.locator(".minimap-view")
    page.mouse.move(box["x"] + box["width"] * 0.3, middle, steps=4)
    at_third = frame.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, middle, steps=4)
    at_three_fifths = frame.bounding_box()
    page.mouse.up()
    centre = lambda r: r["x"] + r["width"] / 2  # noqa: E731
    assert abs(centre(at_third) - (box["x"] + box["width"] * 0.3)) < 3, at_third
    assert abs(centre(at_three_fifths) - (box["x"] + box["width"] * 0.6)) < 3, at_three_fifths
    hide = page.get_by_role("button", name="Hide the map")
    toggle = hide.bounding_box()
    assert toggle["y"] + toggle["height"] <= box["y"]  # above the map, not on it
    hide.click()
    expect(minimap).to_be_hidden()
    show = page.get_by_role("button", name="Show the map of the whole circuit")
    expect(show).to_have_text("Map")
    expect(show).to_have_attribute("aria-expanded", "false")
    # what the map covered is the drawing's again: the corner's point hits the circuit
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('#circuit') !== null",
                         [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
    shot("big-circuit-map-hidden")
    page.reload()
    expect(page.locator("#circuit .node").first).to_be_visible(timeout=30000)
    expect(show).to_be_visible()
    expect(minimap).to_be_hidden()  # still hidden after a reload
    page.goto(f"/#p={quote(BIG)}&lang=zh&f=0")
    page.reload()
    expect(page.get_by_role("button", name="显示整个电路的缩略图")).to_have_text("缩略图")
    page.get_by_role("button", name="显示整个电路的缩略图").click()
    expect(minimap).to_be_visible()
    expect(page.get_by_role("button", name="隐藏缩略图")).to_have_attribute("aria-expanded", "true")
    page.get_by_role("button", name="Fit to screen").or_(
        page.get_by_role("button", name="适应屏幕")).click()
    expect(minimap).to_be_hidden()  # all of it in view: neither the map nor its button
    expect(page.locator(".minimap-toggle")).to_be_hidden()
