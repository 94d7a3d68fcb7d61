"""Labels placed, not stacked: on every preset, at the end of its pass and in the update
phase, and on random programs, no visible text of the circuit overlaps another, and no
wire's number lands on a node or a tensor's numbers (static/js/arrange.js places them).

The number of drawings checked is printed (`pytest -s`); LABEL_PROGRAMS=100 checks more
random programs than the default.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests import oracle
from tests.browser.drawing import collisions, measure, settle

RANDOM = int(os.environ.get("LABEL_PROGRAMS", "24"))
CHECKED: list[str] = []


def end_of_pass(page: Page) -> None:
    page.locator("#timeline").press("End")
    expect(page.locator("#forward")).to_be_disabled()
    settle(page)


def check(page: Page, what: str) -> None:
    drawn = measure(page)
    assert drawn["texts"], what
    found = collisions(drawn)
    assert not found, f"{what}: {found[:8]}"
    # and the page's own count of labels that found no free place agrees
    assert page.locator("#circuit").get_attribute("data-label-misses") == "0", what
    CHECKED.append(what)


def presets(page: Page) -> list[str]:
    page.goto("/?lang=en")
    expect(page.locator("#examples option").nth(5)).to_be_attached(timeout=15_000)
    # not the large ones (micrograd's demo network): they open folded (test_folding.py)
    return [v for v in page.locator("#examples option").evaluate_all(
        "(options) => options.filter((o) => !o.dataset.large).map((o) => o.value)") if v]


def test_every_preset_at_the_end_and_mid_way(page: Page) -> None:
    for preset in presets(page):
        page.goto("/?lang=en")
        page.get_by_role("combobox", name="Examples").select_option(preset)
        expect(page.locator("#circuit .output-edge")).to_be_attached()
        settle(page)
        end_of_pass(page)
        check(page, f"{preset} at the end")
        total = int(page.locator("#position").inner_text().split(" / ")[1])
        page.locator("#timeline").fill(str(total * 2 // 3))
        page.locator("#timeline").dispatch_event("input")
        settle(page)
        check(page, f"{preset} two thirds through")


def test_mazurs_update_phase(page: Page) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("mazur-network")
    expect(page.locator("#circuit .node.input")).to_have_count(14)
    page.get_by_label("Update: one step of gradient descent").check()
    expect(page.locator("#param-summary")).to_contain_text("10 of 14")
    settle(page)
    end_of_pass(page)
    w5 = page.locator('#circuit .node.input[aria-label^="w5 "]')
    expect(w5.locator(".node-new")).to_have_text("→ 0.359")
    check(page, "mazur-network, update phase")
    page.get_by_role("button", name="Apply the update").click()
    settle(page)
    end_of_pass(page)
    check(page, "mazur-network, after one update")


class Scalars(oracle.Generator):
    """The oracle's generator, kept to numbers: unary and binary gates of scalars."""

    def makers(self, shape: oracle.Shape) -> dict:
        return {"unary": self.make_unary, "binary": self.make_binary}


def random_programs() -> list[oracle.Program]:
    """Scalar programs (most of them: the circuits of numbers on wires), a few wide scalar
    networks and a few with tensors, from the differential oracle's generator."""
    out = []
    for seed in range(RANDOM):
        if seed % 6 == 5:
            out.append(oracle.Generator(seed, scalar_output=True).program())
        elif seed % 8 == 3:
            out.append(oracle.Generator(seed, scalar_output=True, wide=True).program())
        else:
            saved = oracle.SHAPES[:]
            oracle.SHAPES[:] = [()]
            try:
                out.append(Scalars(seed, scalar_output=True).program())
            finally:
                oracle.SHAPES[:] = saved
    return out


@pytest.mark.parametrize("expand", [False, True], ids=["as written", "primitives"])
def test_random_programs(page: Page, expand: bool) -> None:
    programs = random_programs()
    if expand:
        programs = programs[: max(4, len(programs) // 4)]
    for k, program in enumerate(programs):
        url = f"/#p={quote(program.source)}&v={quote(json.dumps(program.values))}&lang=en"
        if expand:
            url += "&x=1"
        page.goto("/?lang=en")  # a fresh page each time: a link to the same page only scrolls
        page.goto(url)
        expect(page.locator("#circuit .output-edge")).to_be_attached()
        settle(page)
        end_of_pass(page)
        check(page, f"random program {k}{' as primitives' if expand else ''}")


def test_report_the_count() -> None:
    print(f"\nlayouts checked for overlapping labels: {len(CHECKED)}")
