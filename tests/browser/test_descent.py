"""The update phase: one step of gradient descent after the backward pass, repeated."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def test_mazurs_update_step_by_step_and_the_loss_falling(page: Page, shot) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("mazur-network")
    expect(page.locator("#circuit .node.input")).to_have_count(14)
    page.get_by_label("Update: one step of gradient descent").check()
    page.locator(".descent-bar").get_by_label("learning rate").fill("0.5")
    page.locator(".descent-bar").get_by_label("learning rate").dispatch_event("change")
    # 10 parameters (w1…w8, b1, b2) after the backward pass; the data is kept
    expect(page.locator("#param-summary")).to_have_text("Parameters it moves: 10 of 14 inputs")
    forward = page.get_by_role("button", name="Step forward")
    math = page.locator("#explain-math")
    while "w5 ←" not in math.inner_text():
        forward.click()
    expect(math).to_have_text("w5 ← w5 − r · ∂E/∂w5 = 0.4 − 0.5 × 0.08217 = 0.3589")
    w5 = page.locator('#circuit .node.input[aria-label^="w5 "]')
    expect(w5.locator(".node-new")).to_have_text("→ 0.359")
    shot("update-w5")
    apply = page.get_by_role("button", name="Apply the update")
    expect(apply).to_be_disabled()  # not before every parameter has its step
    page.locator("#timeline").fill("1000")
    page.locator("#timeline").dispatch_event("input")
    expect(page.locator("#explain-note")).to_contain_text("the data (i1, i2, t1, t2) stays")
    losses = []
    for _ in range(3):
        expect(apply).to_be_enabled()
        out = page.locator("#circuit .output-edge text.value")
        losses.append(out.text_content())
        apply.click()
        expect(page.get_by_role("spinbutton", name="w5")).not_to_have_value("0.4")
        expect(out).not_to_have_text(losses[-1])
    # the loss falls: 0.298 → 0.291 → … and the plot holds one point per update, and now
    values = [float(v.replace("−", "-")) for v in losses]
    assert values[0] == 0.298 and values == sorted(values, reverse=True)
    plot = page.locator("#loss-plot")
    expect(plot).to_be_visible()
    expect(plot.locator(".loss-line")).to_have_attribute("d", re.compile(r"^M[^M]*(L[^L]*){3}$"))
    shot("update-loss")


def test_choosing_parameters_and_a_program_without_weights(page: Page) -> None:
    page.goto("/#p=f%20%3D%20(x%20%2B%20y)%20*%20z"
              "&v=%7B%22x%22%3A-2%2C%22y%22%3A5%2C%22z%22%3A-4%7D&lang=en")
    expect(page.locator("#circuit .node")).to_have_count(5)
    page.get_by_label("Update: one step of gradient descent").check()
    expect(page.locator("#param-summary")).to_have_text("Parameters it moves: 3 of 3 inputs")
    page.locator("#param-picker summary").click()
    page.locator('#param-list input[data-name="x"]').uncheck()
    expect(page.locator("#param-summary")).to_have_text("Parameters it moves: 2 of 3 inputs")
    page.locator("#timeline").fill("1000")
    page.locator("#timeline").dispatch_event("input")
    expect(page.locator("#explain-math")).to_contain_text("z ← z − r · ∂f/∂z = −4 − 0.5 × 3 = −5.5")


def test_the_update_phase_in_chinese(page: Page, shot) -> None:
    page.goto("/?lang=zh")
    page.get_by_role("combobox", name="示例").select_option("mazur-network")
    expect(page.locator("#circuit .node.input")).to_have_count(14)
    page.get_by_label("更新：做一步梯度下降").check()
    page.locator("#timeline").fill("1000")
    page.locator("#timeline").dispatch_event("input")
    expect(page.locator("#explain-note")).to_contain_text("数据（i1, i2, t1, t2）保持不变")
    page.get_by_role("button", name="应用这次更新").click()
    expect(page.locator("#loss-plot")).to_be_visible()
    shot("update-zh")
