"""A newcomer's first hour (issue 14): what a first-time user reads and does on the page."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

TENSOR = "W = [[1,2],[3,4]]\nx = [1,-1]\nf = sum(relu(W @ x))"
CS231N = "x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z"


def open_program(page: Page, program: str, values: dict | None = None) -> None:
    query = f"/#p={quote(program)}&lang=en"
    if values:
        query += f"&v={quote(json.dumps(values))}"
    page.goto("about:blank")
    page.goto(query)
    expect(page.locator("#circuit .node").first).to_be_visible()


def walk(page: Page) -> list[str]:
    """Every step's explanation, from the first to the last."""
    forward = page.get_by_role("button", name="Step forward")
    seen = []
    while forward.is_enabled():
        forward.click()
        seen.append(page.locator("#explain").inner_text())
        assert len(seen) < 60
    return seen


def test_tensor_forward_steps_show_values_with_their_shapes(page: Page, shot) -> None:
    open_program(page, TENSOR)
    seen = "\n".join(walk(page)[:4])
    assert "W = [[1, 2], [3, 4]] (2×2)" in seen
    assert "x = [1, −1] (2)" in seen
    assert "(W @ x) = [[1, 2], [3, 4]] @ [1, −1] = [−1, −1] (2)" in seen
    assert "relu([−1, −1]) = [0, 0] (2)" in seen
    page.get_by_role("button", name="Reset").click()
    for _ in range(3):
        page.get_by_role("button", name="Step forward").click()
    shot("newcomer-tensor-forward")


def test_chain_rule_names_the_local_derivative_and_evaluates_it(page: Page) -> None:
    open_program(page, CS231N)
    seen = "\n".join(walk(page))
    assert "∂f/∂q = z = −4\n" in seen + "\n"  # not ∂f/∂f · ∂f/∂q
    assert "∂f/∂f · ∂f/∂q" not in seen
    assert "∂f/∂z = q = 3" in seen
    assert "∂f/∂x = ∂f/∂q · ∂q/∂x = (−4) · 1 = −4" in seen


def test_sigmoid_local_derivative_is_written_out_with_its_factors(page: Page, shot) -> None:
    open_program(page, "x = 1\nf = sigmoid(x)")
    seen = walk(page)
    assert "∂f/∂x = σ(x)(1 − σ(x)) = σ(1)(1 − σ(1)) = 0.731 · 0.269 = 0.197" in seen[-1]
    shot("newcomer-sigmoid-chain")
    open_program(page, "x = 1\nf = 2 * sigmoid(x)")
    last = walk(page)[-1]
    assert "= 2 · σ(1)(1 − σ(1)) = 2 · 0.731 · 0.269 = 0.393" in last


def test_nan_says_why_in_the_step_and_has_no_doubled_parentheses(page: Page, shot) -> None:
    open_program(page, "x = -1\nf = log(x)")
    seen = walk(page)
    forward = seen[1]
    assert "log(−1) = NaN" in forward
    assert "log((" not in "\n".join(seen)
    assert "log of a negative number is not a real number" in forward
    page.get_by_role("tab", name="Gradient check").click()
    row = page.locator("#check-rows tr", has_text="x")
    expect(row).to_contain_text("not a number (NaN)")
    shot("newcomer-log-negative")


def test_infinity_says_why_in_the_step(page: Page) -> None:
    open_program(page, "x = 0\nf = 1 / x")
    seen = "\n".join(walk(page))
    assert "= ∞" in seen
    assert "division by zero gives ±∞" in seen
    open_program(page, "x = 1000\nf = exp(x)")
    assert "exp overflows to ∞" in "\n".join(walk(page))


def test_long_tensors_are_elided_values_with_their_shape_never_a_bare_shape(page: Page
                                                                          ) -> None:
    open_program(page, "x = [1,2,3,4,5,6,7,8,9,10]\nf = sum(x * x)")
    seen = "\n".join(walk(page))
    ten = "[1, 2, 3, …, 10] (10)"
    assert f"(x * x) = {ten} · {ten} = [1, 4, 9, …, 100] (10)" in seen
    assert "Σ([1, 4, 9, …, 100] (10)) = 385" in seen
    assert "[10] ·" not in seen and "Σ([10])" not in seen  # no shape where a value belongs
    open_program(page, "W = [[1,2,3],[4,5,6],[7,8,9]]\nf = sum(W * 2)")
    assert "[[1, 2, 3], [4, 5, 6], [7, 8, 9]] (3×3)" in "\n".join(walk(page))


def test_class_labels_show_no_cross_in_the_circuit(page: Page) -> None:
    program = ("X = [[1, 2], [0, 1]]\nW = [[0.5, -1], [1, 0.25]]\ny = [0, 1]\n"
               "loss = cross_entropy(X @ W, y)")
    open_program(page, program)
    page.get_by_role("button", name="Step forward").focus()
    while page.get_by_role("button", name="Step forward").is_enabled():
        page.get_by_role("button", name="Step forward").click()
    marks = page.locator("#circuit .check-mark")
    expect(marks.first).to_have_text("✓")
    assert "✗" not in "".join(marks.all_text_contents())
    page.get_by_role("tab", name="Gradient check").click()
    expect(page.locator("#check-rows")).to_contain_text("class labels: no gradient")


def test_gradient_check_shows_significant_digits_and_the_full_number_on_hover(page: Page
                                                                              ) -> None:
    open_program(page, "x = 0.3\nf = sigmoid(x) * 3")
    page.get_by_role("tab", name="Gradient check").click()
    cells = page.locator("#check-rows tr").first.locator("td")
    expect(cells.nth(1)).to_have_text("0.733")
    assert len(cells.nth(1).get_attribute("title")) > 10  # the full number, on hover


def program_box(page: Page):
    return page.get_by_role("textbox", name="Program")


def test_a_missing_value_says_where_to_type_it(page: Page, shot) -> None:
    page.goto("/?lang=en")
    program_box(page).fill("f = (x + y) * z")
    expect(page.get_by_role("alert")).to_contain_text(
        "no value for x, y, z: type one in Inputs, or write `x = 2` in the program.")
    shot("newcomer-missing-value")


def test_a_mistyped_name_suggests_and_keeps_the_other_inputs(page: Page, shot) -> None:
    open_program(page, CS231N)
    program_box(page).fill("x = -2\ny = 5\nz = -4\nq = x + y\nf = q * zz")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Did you mean z (not zz)?")
    # one sentence ends before the next begins
    expect(alert).to_contain_text("(not zz)? The circuit shown is the last one that worked.")
    for name in ("x", "y", "z", "zz"):
        expect(page.locator("#inputs").get_by_label(name, exact=True)).to_be_visible()
    expect(page.locator("#inputs").get_by_label("x", exact=True)).to_have_value("-2")
    shot("newcomer-mistyped-name")


def test_an_unclosed_parenthesis_points_at_it(page: Page) -> None:
    page.goto("/?lang=en")
    program_box(page).fill("f = (x + y")
    expect(page.get_by_role("alert")).to_contain_text("Line 1, column 5")
    expect(page.locator("#error-context")).to_have_text("f = (x + y\n    ^")


def test_chinese_syntax_errors_are_all_chinese(page: Page, shot) -> None:
    page.goto("/?lang=zh")
    program = page.locator("#program")
    program.fill("f = x +")
    alert = page.locator("#error-summary")
    expect(alert).to_contain_text("语法错误：这里应当有一个表达式，却遇到了行尾")
    assert "expected" not in alert.inner_text()
    program.fill("f = 3 +* 2")
    expect(alert).to_contain_text("这里应当有一个数、一个名字或 '('，却遇到了'*'")
    shot("newcomer-zh-syntax")


def test_bad_network_sizes_are_a_red_error_and_the_old_table_goes(page: Page, shot) -> None:
    page.goto("/?lang=en")
    page.locator("#builder summary").click()
    page.get_by_role("button", name="Write the program").click()
    expect(page.locator("#net-agree")).to_be_visible(timeout=15_000)
    page.get_by_label("Layer sizes").fill("2, two, 2")
    page.get_by_role("button", name="Write the program").click()
    note = page.locator("#net-note")
    expect(note).to_contain_text("Layer sizes are whole numbers")
    expect(note).to_have_class("net-note bad")
    color = note.evaluate("n => getComputedStyle(n).color")
    assert color == page.locator(".legend-grad").evaluate("n => getComputedStyle(n).color")
    expect(page.locator("#net-agree")).to_be_hidden()
    shot("newcomer-bad-sizes")


def test_a_new_program_starts_at_step_zero_and_a_value_edit_keeps_the_step(page: Page) -> None:
    open_program(page, CS231N)
    position = page.locator("#position")
    for _ in range(7):
        page.get_by_role("button", name="Step forward").click()
    expect(position).to_have_text(re.compile(r"^7 / "))
    page.locator("#inputs").get_by_label("x", exact=True).fill("3")
    expect(page.locator("#circuit .output-edge text.value")).to_have_text("−32")
    expect(position).to_have_text(re.compile(r"^7 / "))
    program_box(page).fill("x = 3\nf = x * x")
    expect(page.locator("#circuit .node")).to_have_count(2)
    expect(position).to_have_text(re.compile(r"^0 / "))


def test_train_tab_fits_a_phone(page: Page, shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_program(page, CS231N)
    page.get_by_role("tab", name="Train").click()
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("newcomer-train-390")


def test_keys_step_everywhere_but_text_fields(page: Page) -> None:
    open_program(page, CS231N)
    position = page.locator("#position")
    page.get_by_label("Speed").focus()  # a slider is not a text field
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text(re.compile(r"^1 / "))
    page.get_by_role("checkbox", name="Practice: predict each gradient").focus()
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text(re.compile(r"^2 / "))
    program_box(page).focus()
    page.keyboard.press("ArrowRight")  # moves the caret, not the stepper
    expect(position).to_have_text(re.compile(r"^2 / "))
    page.get_by_label("Speed").focus()
    page.keyboard.press("ArrowLeft")
    expect(position).to_have_text(re.compile(r"^1 / "))
    page.get_by_role("checkbox", name="Practice: predict each gradient").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Home")
    expect(position).to_have_text(re.compile(r"^0 / "))
    page.locator('#circuit .node[tabindex="0"]').focus()  # from the circuit, Space plays
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def test_the_circuit_is_one_tab_stop_with_arrow_keys_inside(page: Page) -> None:
    open_program(page, CS231N)
    stops = page.locator('#circuit .node[tabindex="0"]')
    expect(stops).to_have_count(1)
    stops.first.focus()
    first = page.evaluate("document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert second != first and page.evaluate(
        "document.activeElement.classList.contains('node')")
    expect(stops).to_have_count(1)  # the stop follows the focus
    # from the program, Step forward is as many Tabs away for 5 gates as for 9
    assert tabs_to_forward(page) == tabs_to_forward(page, CS231N + "\ng = f * f + q * f - x")


def test_composite_gates_add_no_tab_stops_and_open_with_plus(page: Page) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("mazur-network")
    nodes = page.locator("#circuit .node")
    expect(page.locator("#circuit .output-edge")).to_be_attached()
    before = nodes.count()
    stops = page.locator('#circuit [tabindex="0"]')
    expect(stops).to_have_count(1)  # one for the whole circuit, ± handles included
    assert page.locator("#circuit .gate-handle").count() == 4
    sigma = page.locator("#circuit .node.gate", has_text="σ").first
    sigma.focus()
    page.keyboard.press("+")  # opens σ into its primitive gates
    expect(nodes).not_to_have_count(before)
    assert nodes.count() > before
    expect(stops).to_have_count(1)


def tabs_to_forward(page: Page, program: str | None = None) -> int:
    if program:
        program_box(page).fill(program)
        expect(page.locator("#circuit .node")).to_have_count(9)
    program_box(page).focus()
    for presses in range(1, 60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "forward":
            return presses
    raise AssertionError("Step forward is not reachable with Tab")


def test_question_mark_opens_help_with_keys_ops_and_api_docs(page: Page, shot) -> None:
    open_program(page, CS231N)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    help_panel = page.locator("#help")
    expect(help_panel).to_be_visible()
    expect(help_panel).to_contain_text("play or pause")
    ops = page.locator("#help-ops tr")
    expect(ops.first).to_be_visible()
    text = page.locator("#help-ops").inner_text()
    for written in ("x + y", "sigmoid(x)", "max_pool(x, 2)", "x @ y"):
        assert written in text, written
    assert ops.count() >= 20
    expect(help_panel.get_by_role("link", name="The JSON API's documentation")).to_have_attribute(
        "href", "/docs")
    shot("newcomer-help")
    page.keyboard.press("Escape")
    expect(help_panel).to_be_hidden()
    page.get_by_role("button", name="Help").click()
    expect(help_panel).to_be_visible()


def luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two CSS rgb() colours."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_value_and_gradient_colours_are_readable_in_both_themes(page: Page, shot) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        open_program(page, CS231N)
        for _ in range(10):
            page.get_by_role("button", name="Step forward").click()
        style = "(n, p) => getComputedStyle(n)[p]"
        ground = page.locator("#circuit-wrap").evaluate(style, "backgroundColor")
        value = page.locator("#circuit text.value").first.evaluate(style, "fill")
        grad = page.locator("#circuit text.grad").first.evaluate(style, "fill")
        panel = page.locator("#explain").evaluate(style, "backgroundColor")
        math = page.locator("#explain-math").evaluate(style, "color")
        page_ground = page.locator("body").evaluate(style, "backgroundColor")
        legend = page.locator(".legend-grad").evaluate(style, "color")
        for name, fg, bg in (("value", value, ground), ("gradient", grad, ground),
                             ("chain rule", math, panel), ("legend", legend, page_ground)):
            assert contrast(fg, bg) >= 4.5, (scheme, name, fg, bg, contrast(fg, bg))
        if scheme == "dark":
            assert luminance(page_ground) < 0.05  # the page did turn dark
        shot(f"newcomer-theme-{scheme}")


def test_input_fields_show_significant_digits_and_every_digit_on_focus(page: Page) -> None:
    open_program(page, "w = 0.7\nf = w^3")
    page.get_by_role("checkbox", name="Update: one step of gradient descent").check()
    page.locator("#timeline").press("End")
    page.get_by_role("button", name="Apply the update").click()
    field = page.locator("#inputs").get_by_label("w", exact=True)
    # 0.7 − 0.5 · 3 · 0.7² is −0.03499999999999992 in floating point
    expect(field).to_have_value("-0.035")
    assert field.get_attribute("title") == "-0.03499999999999992"
    field.focus()
    expect(field).to_have_value("-0.03499999999999992")
    page.get_by_role("button", name="Reset").focus()
    expect(field).to_have_value("-0.035")


def test_trained_parameters_come_back_as_significant_digits(page: Page) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("mazur-train")
    expect(page.get_by_label("Data set")).to_have_value("none")
    page.get_by_label("Passes").fill("300")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("Done: 300 passes", timeout=30_000)
    page.get_by_role("button", name="Use the trained parameters").click()
    field = page.locator("#inputs").get_by_label("w5", exact=True)
    expect(field).not_to_have_value("0.4")
    shown, every = field.input_value(), field.get_attribute("title")
    assert len(shown.lstrip("-").replace(".", "").lstrip("0")) <= 4, shown
    assert len(every) > len(shown) and float(every) == pytest.approx(float(shown), rel=1e-3)
    field.focus()
    expect(field).to_have_value(every)


def test_practice_gives_a_second_try_with_a_hint(page: Page, shot) -> None:
    open_program(page, CS231N)
    page.get_by_label("Practice: predict each gradient").check()
    forward = page.get_by_role("button", name="Step forward")
    answer = page.get_by_role("textbox", name=re.compile("what gradient flows back"))
    feedback = page.locator("#quiz-feedback")
    position = page.locator("#position")
    for _ in range(7):  # five forward steps, the seed, and the question for ∂f/∂q
        forward.click()
    answer.fill("-4")
    answer.press("Enter")
    forward.click()  # ∂f/∂z
    answer.fill("3")
    answer.press("Enter")
    forward.click()  # ∂f/∂x, through the add gate
    expect(page.locator("#quiz-question")).to_contain_text("from q to x")
    at = position.inner_text()
    answer.fill("4")
    answer.press("Enter")
    expect(feedback).to_have_text("Not quite (you said 4). Hint: upstream ∂f/∂q = −4; "
                                  "local ∂q/∂x = 1. Multiply them and try again.")
    expect(page.locator("#quiz")).to_be_visible()  # the question stays: a second try
    expect(position).to_have_text(at)
    expect(answer).to_be_focused()
    shot("practice-hint")
    answer.fill("-4")
    answer.press("Enter")
    expect(feedback).to_have_text("Right: −4.")
    forward.click()  # ∂f/∂y: two wrong answers reveal it
    answer.fill("7")
    answer.press("Enter")
    expect(feedback).to_contain_text("Hint: upstream ∂f/∂q = −4; local ∂q/∂y = 1.")
    answer.fill("7")
    answer.press("Enter")
    expect(feedback).to_have_text("Not quite: you said 7; it is (−4) · 1 = −4.")
    expect(page.locator("#quiz")).to_be_hidden()
    expect(page.locator("#score")).to_have_text(re.compile(r"^Score: 3 / 4"))


def test_practice_hint_at_a_multiply_names_the_local_factor(page: Page) -> None:
    open_program(page, CS231N)
    page.get_by_label("Practice: predict each gradient").check()
    forward = page.get_by_role("button", name="Step forward")
    for _ in range(7):
        forward.click()
    answer = page.get_by_role("textbox", name=re.compile("what gradient flows back"))
    answer.fill("1")
    answer.press("Enter")
    expect(page.locator("#quiz-feedback")).to_contain_text(
        "Hint: upstream ∂f/∂f = 1; local ∂f/∂q = z = −4.")


def inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


def test_the_code_tabs_copy_button_is_not_clipped(page: Page, shot) -> None:
    for width, height in ((1366, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        open_program(page, CS231N)
        page.get_by_role("tab", name="Code").click()
        copy = page.get_by_role("button", name="Copy")
        expect(copy).to_be_visible()
        copy.scroll_into_view_if_needed()
        box = copy.bounding_box()
        panel = page.locator("#code-panel").bounding_box()
        assert inside(box, panel), (width, box, panel)
        assert box["x"] + box["width"] <= width
        # the label fits its button: nothing of it is cut off or wrapped
        fits = copy.evaluate(
            "b => b.scrollWidth <= b.clientWidth && b.scrollHeight <= b.clientHeight")
        assert fits, width
        assert box["height"] < 40, box
        shot(f"code-copy-{width}")


def test_pooling_gate_labels_fit_their_circles(page: Page, shot) -> None:
    page.goto("/#lang=en")
    page.get_by_role("combobox", name="Examples").select_option("pooling")
    gates = page.locator("#circuit .node.gate")
    expect(gates.first).to_be_visible()
    labels = [t for t in gates.locator("text.symbol").all_text_contents()]
    assert any("pool" in t for t in labels), labels
    for gate in gates.all():
        circle = gate.locator("circle.shape").bounding_box()
        symbol = gate.locator("text.symbol").bounding_box()
        assert inside(symbol, circle), (gate.locator("text.symbol").text_content(), symbol, circle)
    shot("pooling-labels")


def test_nudge_plot_keeps_point_and_tangent_in_the_frame(page: Page, shot) -> None:
    open_program(page, "f = x^3", {"x": 1})
    page.get_by_role("tab", name="Nudge plot").click()
    label = page.locator("#plot .plot-label")
    expect(label).to_contain_text("slope at x = 1")
    field = page.get_by_role("spinbutton", name="x", exact=True)
    for value, shown in (("5", "x = 5"), ("40", "x = 40"), ("-60", "x = −60")):
        if value == "5":
            page.get_by_role("slider", name="x slider").fill(value)
        else:
            field.fill(value)
            field.press("Enter")
        expect(label).to_contain_text(shown)
        frames = page.locator("#plot .plot-axes .plot-frame").all()[:2]
        bottom, left = (f.bounding_box() for f in frames)
        frame = {"x": left["x"], "y": left["y"], "width": bottom["x"] + bottom["width"] - left["x"],
                 "height": bottom["y"] - left["y"]}
        point = page.locator("#plot .plot-point")
        centre = point.evaluate("c => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]")
        ends = page.locator("#plot .plot-tangent").evaluate(
            "l => ['x1', 'y1', 'x2', 'y2'].map((k) => Number(l.getAttribute(k)))")
        svg = page.locator("#plot")
        scale = svg.evaluate("s => s.getBoundingClientRect().width / s.viewBox.baseVal.width")
        origin = svg.bounding_box()
        title = label.bounding_box()
        for x, y in (centre, ends[:2], ends[2:]):
            px, py = origin["x"] + x * scale, origin["y"] + y * scale
            assert frame["x"] - 1 <= px <= frame["x"] + frame["width"] + 1, (value, px, frame)
            assert frame["y"] - 1 <= py <= frame["y"] + frame["height"] + 1, (value, py, frame)
            assert py >= title["y"] + title["height"], (value, py, title)
        expect(page.locator("#plot .plot-tangent")).to_have_attribute("visibility", "visible")
    shot("nudge-plot-follows")


def test_spiral_on_a_two_class_network_says_how_to_fix_it(page: Page, shot) -> None:
    page.goto("/#lang=en")
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.get_by_role("combobox", name="Examples").select_option("seed004-train")
    expect(page.locator("#train-panel")).to_be_visible()
    page.get_by_label("Passes").fill("200")
    expect(page.locator("#train-canvas-wrap")).to_be_visible()
    expect(page.locator("#train-widen-note")).to_be_hidden()  # moons: two classes, no note
    page.get_by_label("Data set").select_option("spiral")
    widen = page.get_by_role("button", name="Widen W2 and b2")
    note = page.locator("#train-widen-note")
    # the labels reach the program: the circuit's error already says how to fix it
    expect(note).to_contain_text("spiral has 3 classes")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("class label 2 is out of range")
    expect(note).to_contain_text(
        "spiral has 3 classes but this network has 2 outputs: widen W2 and b2 to 3 columns.")
    expect(widen).to_be_visible()
    shot("train-widen")
    widen.click()
    program = page.locator("#program").input_value()
    assert "W2 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]" in program
    assert "b2 = [0, 0, 0]" in program
    expect(widen).to_be_hidden()
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("Done: 200 passes", timeout=30_000)
    expect(page.locator("#train-widen-note")).to_be_hidden()
    shot("train-widened")


def test_a_renamed_variable_or_changed_constant_is_redrawn(page: Page) -> None:
    open_program(page, CS231N)
    expect(page.locator("#circuit .node-name", has_text="q")).to_have_count(1)
    program_box(page).fill(CS231N.replace("q", "p"))  # the same shape, another name
    expect(page.locator("#circuit .node-name", has_text="p")).to_have_count(1)
    expect(page.locator("#circuit .node-name", has_text="q")).to_have_count(0)
    program_box(page).fill("x = 3\nf = x * 2")
    expect(page.locator("#circuit .node.const .symbol")).to_have_text("2")
    program_box(page).fill("x = 3\nf = x * 5")
    expect(page.locator("#circuit .node.const .symbol")).to_have_text("5")
    page.locator("#timeline").press("End")
    expect(page.locator("#circuit .output-edge text.value")).to_have_text("15")
