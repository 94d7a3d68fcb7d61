"""The network builder: one network, two granularities, the same gradients."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.test_page import input_grad


def open_builder(page: Page, lang: str = "en") -> None:
    page.goto(f"/?lang={lang}")
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.locator("#builder summary").click()


def test_the_two_views_of_one_network_have_the_same_gradients(page: Page, shot) -> None:
    open_builder(page)
    page.get_by_label("Layer sizes").fill("2, 2, 2")
    page.get_by_label("Activation").select_option("sigmoid")
    page.get_by_label("Loss", exact=True).select_option("half_sse")
    page.get_by_role("button", name="Write the program").click()
    program = page.get_by_role("textbox", name="Program")
    expect(program).to_have_value(re.compile(r"H1 = sigmoid\(X @ W1 \+ b1\)"))
    tensor_form = page.get_by_role("radio", name="Tensor form")
    neuron_form = page.get_by_role("radio", name="Neuron form")
    expect(tensor_form).to_be_checked()
    table = page.locator("#net-agree")
    expect(table.locator("caption")).to_have_text(
        "All 12 weights and biases have the same gradient in both views")
    rows = table.locator("tr").all()[1:]
    assert len(rows) == 12
    first = rows[0].locator("td").all_text_contents()
    assert first[0] == "w1" and first[1] == "W1[0, 0]" and first[3].endswith("✓")
    assert first[2] == first[3].removesuffix(" ✓")
    # the circuit of the tensor form: W1 is a 2×2 node showing its numbers
    expect(page.locator("#circuit .node.input .shape-badge").first).to_be_visible()
    shot("network-tensor")

    neuron_form.check()
    expect(program).to_have_value(re.compile(r"h1 = sigmoid\(w1\*i1 \+ w2\*i2 \+ b1\)"))
    expect(page.locator("#circuit .node.input")).to_have_count(16)  # i1 i2 w1…w8 b1…b4 t1 t2
    # play it to the end: w1's gradient under its node equals the table's
    page.locator("#timeline").fill("1000")
    page.locator("#timeline").dispatch_event("input")
    expect(page.locator('#circuit .node.input[aria-label^="w1 "]')).to_be_visible()
    assert input_grad(page, "w1") == first[2]
    expect(table).to_be_visible()
    shot("network-neuron")

    tensor_form.check()
    expect(program).to_have_value(re.compile(r"X @ W1"))
    program.fill(program.input_value() + "# edited\n")
    expect(page.locator("#net-note")).to_contain_text("write the network again")
    expect(table).to_be_hidden()


def test_a_network_too_big_for_neurons_and_bad_sizes_say_why(page: Page) -> None:
    open_builder(page)
    page.get_by_label("Layer sizes").fill("8, 8, 8, 2")
    page.get_by_role("button", name="Write the program").click()
    expect(page.get_by_role("textbox", name="Program")).to_have_value(re.compile(r"W3"))
    expect(page.get_by_role("radio", name="Neuron form")).to_be_disabled()
    expect(page.locator("#net-note")).to_contain_text("only its tensor form")
    page.get_by_label("Layer sizes").fill("2, nine")
    page.get_by_role("button", name="Write the program").click()
    expect(page.locator("#net-note")).to_contain_text("whole numbers separated by commas")
    page.get_by_label("Layer sizes").fill("2, 20")
    page.get_by_role("button", name="Write the program").click()
    expect(page.locator("#net-note")).not_to_contain_text("whole numbers")
    expect(page.locator("#net-note")).not_to_be_empty()


def test_the_builder_speaks_chinese(page: Page, shot) -> None:
    open_builder(page, "zh")
    page.get_by_role("button", name="生成程序").click()
    expect(page.locator("#net-agree caption")).to_contain_text("梯度相同")
    expect(page.locator("#circuit .tensor-view").first).to_be_attached()  # the new circuit
    page.locator("#timeline").fill("1000")
    page.locator("#timeline").dispatch_event("input")
    expect(page.locator("#explain-note")).to_contain_text("完成")
    shot("network-zh")
