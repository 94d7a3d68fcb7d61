"""Teaching tools on the page: predict-then-reveal, the forgotten +=, gate patterns."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_page import CS231N, open_program


def test_practice_asks_before_it_reveals(page: Page, shot) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4})
    page.get_by_label("Practice: predict each gradient").check()
    forward = page.get_by_role("button", name="Step forward")
    for _ in range(6):  # five forward steps and the seed
        forward.click()
    position = page.locator("#position")
    expect(position).to_have_text(re.compile(r"^6 / "))
    forward.click()  # the first backward wire is a question first
    question = page.locator("#quiz-question")
    expect(question).to_contain_text("what gradient flows back")
    expect(position).to_have_text(re.compile(r"^6 / "))
    answer = page.get_by_role("textbox", name=re.compile("what gradient flows back"))
    answer.fill("-4")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#quiz-feedback")).to_have_text("Right: −4.")
    expect(position).to_have_text(re.compile(r"^7 / "))
    forward.click()
    answer.fill("5")
    page.get_by_role("button", name="Check").click()  # a first wrong answer: a hint
    expect(page.locator("#quiz-feedback")).to_contain_text("local ∂f/∂z = (x + y) = 3")
    answer.fill("5")
    page.get_by_role("button", name="Check").click()  # the second: the answer
    expect(page.locator("#quiz-feedback")).to_contain_text("Not quite: you said 5; it is 1 · 3 = 3")
    forward.click()
    page.get_by_role("button", name="Show me").click()
    forward.click()
    answer.fill("−4")
    answer.press("Enter")
    expect(page.locator("#score")).to_have_text(re.compile(r"^Score: 2 / 4"))
    shot("practice")
    page.reload()
    page.get_by_label("Practice: predict each gradient").check()
    expect(page.locator("#score")).to_contain_text("last complete pass: 2 / 4")


def test_forgetting_the_plus_equals(page: Page, shot) -> None:
    source = "x = 3\ny = -4\nsigy = sigmoid(y)\nnum = x + sigy\nsigx = sigmoid(x)\n" \
             "xpy = x + y\nxpysqr = xpy^2\nden = sigx + xpysqr\ninvden = 1 / den\n" \
             "f = num * invden\n"
    open_program(page, source, step=40)
    page.get_by_role("button", name="Forgot the +=?").click()
    demo = page.locator("#bug-demo")
    expect(demo).to_be_visible()
    table = {}
    for row in demo.locator("tbody tr").all():
        cells = row.locator("td").all_text_contents()
        table[cells[0]] = cells[1:]
    # the last contribution to x comes from num = x + sigy: 0.512, not 2.06
    assert table["x"] == ["2.06", "0.512", "−1.55"]
    assert table["num"] == ["0.512", "0.512", "0"]
    expect(demo.locator("#bug-summary")).to_contain_text("2 of")
    expect(page.locator("#circuit .node.bug")).to_have_count(2)
    shot("forgot-plus-equals")
    page.get_by_role("button", name="Forgot the +=?").click()
    expect(demo).to_be_hidden()


def test_no_fan_out_means_no_difference(page: Page) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4}, step=20)
    page.get_by_role("button", name="Forgot the +=?").click()
    expect(page.locator("#bug-summary")).to_contain_text("No value in this program is used twice")


def test_gate_patterns_are_named(page: Page) -> None:
    open_program(page, "f = 2 * (x*y + max(z, w))", {"x": 3, "y": -4, "z": 2, "w": -1})
    notes = []
    forward = page.get_by_role("button", name="Step forward")
    while forward.is_enabled():
        forward.click()
        notes.append(page.locator("#explain-note").inner_text())
    text = " ".join(notes)
    assert "The add gate distributes" in text
    assert "The multiply gate swaps" in text
    assert "The max gate routes" in text
