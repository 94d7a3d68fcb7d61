"""What a person sees and does on the page, in headless Chromium."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

CS231N = "f = (x + y) * z"


def open_program(page: Page, program: str, values: dict | None = None, step: int = 0) -> None:
    query = f"/#p={quote(program)}&lang=en"
    if values:
        query += f"&v={quote(json.dumps(values))}"
    if step:
        query += f"&s={step}"
    page.goto(query)
    expect(page.locator("#circuit .node").first).to_be_visible()


def node(page: Page, name: str):
    labelled = f'[aria-label^="{name} "], #circuit .node[aria-label="{name}"]'
    return page.locator(f"#circuit .node{labelled}")


def input_grad(page: Page, name: str) -> str:
    """The gradient an input shows: under it when it is used more than once (the sum),
    else once, on its wire."""
    own = node(page, name).locator("text.node-grad").text_content()
    if own:
        return own
    wire = page.locator(f'#circuit .edge[data-from="{node(page, name).get_attribute("data-id")}"]')
    assert wire.count() == 1
    return wire.locator("text.grad").text_content()


def edge_texts(page: Page, cls: str) -> list[str]:
    return [t for t in page.locator(f"#circuit .edge text.{cls}").all_text_contents() if t]


def test_cs231n_forward_and_backward(page: Page, shot) -> None:
    page.goto("/?lang=en")
    program = page.get_by_role("textbox", name="Program")
    program.fill(CS231N)
    # x, y and z have no values yet: the page says so and offers a field for each
    expect(page.get_by_role("alert")).to_contain_text("no value for x, y, z: type one in Inputs")
    for name, value in (("x", "-2"), ("y", "5"), ("z", "-4")):
        field = page.get_by_role("spinbutton", name=name)
        expect(field).to_be_visible()
        field.fill(value)
    expect(page.get_by_role("spinbutton", name="z")).to_have_value("-4")
    # the answer for these values has arrived once the link carries them
    expect(page).to_have_url(re.compile(r"%22z%22%3A-4"))
    expect(page.locator("#circuit .node")).to_have_count(5)
    forward = page.get_by_role("button", name="Step forward")
    explanations = []
    steps = 0
    while forward.is_enabled():
        forward.click()
        steps += 1
        explanations.append(page.locator("#explain").inner_text())
        assert steps < 50
    # 6 nodes forward (x, y, +, z, ×… and the seed) then one step per backward edge
    assert page.locator("#position").inner_text().split(" / ")[0] == str(steps)
    output_edge = page.locator("#circuit .output-edge")
    expect(output_edge.locator("text.value")).to_have_text("−12")
    expect(output_edge.locator("text.grad")).to_have_text("1")
    for name, grad in (("x", "−4"), ("y", "−4"), ("z", "3")):
        assert input_grad(page, name) == grad
        expect(node(page, name).locator("text.node-grad")).to_have_text("")  # shown once
    assert any("∂f/∂x = ∂f/∂(x + y) · ∂(x + y)/∂x = (−4) · 1 = −4" in e for e in explanations)
    assert any("∂(a·b)/∂a = b" in e for e in explanations)
    shot("cs231n-done")


def test_forward_shows_values_then_backward_builds_sums(page: Page) -> None:
    open_program(page, "f = x * x + x", {"x": 3})
    forward = page.get_by_role("button", name="Step forward")
    expect(page.locator("#explain")).to_contain_text("Step forward")
    seen = []
    while forward.is_enabled():
        forward.click()
        seen.append(page.locator("#explain-math").inner_text())
    plus_equals = [s for s in seen if "+=" in s]
    assert len(plus_equals) == 2  # x is used three times: = then += then +=
    expect(node(page, "x").locator("text.node-grad")).to_have_text("7")


def test_stepping_back_and_reset(page: Page) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4}, step=3)
    position = page.locator("#position")
    expect(position).to_have_text(re.compile(r"^3 / \d+$"))
    page.get_by_role("button", name="Step back").click()
    expect(position).to_have_text(re.compile(r"^2 / "))
    page.get_by_role("button", name="Reset").click()
    expect(position).to_have_text(re.compile(r"^0 / "))
    assert edge_texts(page, "value") == []


def test_keyboard_steps_and_plays(page: Page) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4})
    page.locator("body").click(position={"x": 5, "y": 5})
    position = page.locator("#position")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text(re.compile(r"^2 / "))
    page.keyboard.press("ArrowLeft")
    expect(position).to_have_text(re.compile(r"^1 / "))
    page.keyboard.press("Home")
    expect(position).to_have_text(re.compile(r"^0 / "))
    page.get_by_role("slider", name="Speed").fill("20")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=5000)
    total = position.inner_text().split(" / ")[1]
    expect(position).to_have_text(f"{total} / {total}")


def test_error_shows_caret_and_keeps_the_last_circuit(page: Page, shot) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4})
    program = page.get_by_role("textbox", name="Program")
    program.fill("f = sigmod(x)")
    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("did you mean 'sigmoid'")
    expect(error).to_contain_text("Line 1, column 5")
    expect(page.locator("#error-context")).to_have_text("f = sigmod(x)\n    ^^^^^^")
    expect(page.locator("#circuit-wrap")).to_have_class(re.compile("stale"))
    expect(page.locator("#circuit .node")).to_have_count(5)
    shot("error-caret")
    program.fill("f = sigmoid(x)")
    expect(error).to_be_hidden()


def test_share_link_round_trip(page: Page, context) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4})
    page.get_by_role("spinbutton", name="y").fill("7")
    expect(page).to_have_url(re.compile(r"%22y%22%3A7"))
    for _ in range(4):
        page.get_by_role("button", name="Step forward").click()
    expect(page).to_have_url(re.compile(r"s=4"))
    url = page.url
    assert "%22y%22%3A7" in url
    other = context.new_page()
    other.goto(url)
    expect(other.locator("#position")).to_have_text(re.compile(r"^4 / "))
    expect(other.get_by_role("spinbutton", name="y")).to_have_value("7")
    expect(other.get_by_role("textbox", name="Program")).to_have_value(CS231N)
    other.close()


def test_back_and_forward_restore_programs(page: Page) -> None:
    page.goto("/?lang=en")
    examples = page.get_by_role("combobox", name="Examples")
    expect(examples.locator("option")).not_to_have_count(1)
    examples.select_option("cs231n-add-mul")
    program = page.get_by_role("textbox", name="Program")
    expect(program).to_have_value(re.compile("q = x \\+ y"))
    expect(page).to_have_url(re.compile("q\\+%3D\\+x"))
    examples.select_option("max-gate")
    expect(program).to_have_value(re.compile("max\\(z, w\\)"))
    expect(page).to_have_url(re.compile("max"))
    page.go_back()
    expect(program).to_have_value(re.compile("q = x \\+ y"))
    page.go_forward()
    expect(program).to_have_value(re.compile("max\\(z, w\\)"))


def test_language_switch_is_remembered(page: Page, shot) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4}, step=8)
    page.get_by_role("combobox", name="Language").select_option("zh")
    expect(page.locator(".tagline")).to_contain_text("前向传播")
    expect(page.get_by_role("button", name="前进一步")).to_be_visible()
    expect(page.locator("#explain")).to_contain_text("局部导数")
    shot("chinese")
    page.goto("/")
    expect(page.locator(".tagline")).to_contain_text("前向传播")


def test_line_and_gate_are_linked(page: Page) -> None:
    open_program(page, "q = x + y\nf = q * z", {"x": -2, "y": 5, "z": -4}, step=3)
    current_line = page.locator("#backdrop .line.current")
    expect(current_line).to_have_count(1)
    expect(current_line).to_have_text(re.compile("q = x \\+ y"))
    page.locator("#circuit .node.gate").last.hover()
    expect(page.locator("#backdrop .line.hover")).to_have_text(re.compile("f = q \\* z"))
    textarea = page.get_by_role("textbox", name="Program")
    box = textarea.bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 8 + 20 * 0 + 10)
    expect(page.locator("#circuit .node.hl")).not_to_have_count(0)


def test_export_svg(page: Page, tmp_path) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4}, step=20)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export SVG").click()
    path = tmp_path / "circuit.svg"
    download.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<svg") and "−12" in text and "−4" in text
    with page.expect_download() as download:
        page.get_by_role("button", name="Export PNG").click()
    png = tmp_path / "circuit.png"
    download.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tensor_nodes_show_their_numbers_and_the_matmul_rule(page: Page, shot) -> None:
    open_program(page, "u = W @ x\nL = sum(u^2)",
                 {"W": [[1, 2, -1], [0.5, -1, 3]], "x": [1, -2, 0.5]}, step=8)
    w = page.locator('#circuit .node.input[data-id="n0"]')
    expect(w.locator(".shape-badge")).to_have_text("[2×3]")
    grid = page.locator('#circuit .tensor-view[data-id="n0"]')
    values = grid.locator(".tensor-num.value")
    expect(values).to_have_count(6)
    assert values.all_text_contents() == ["1", "2", "−1", "0.5", "−1", "3"]
    expect(grid.locator(".tensor-num.grad")).to_have_count(0)  # backward has not reached W
    forward = page.get_by_role("button", name="Step forward")
    while "∂L/∂W" not in page.locator("#explain-math").inner_text():
        forward.click()
    # dW = du · xᵀ with du = 2u = [−7, 8]: an outer product, shapes and numbers on show
    math = page.locator("#explain-math")
    expect(math).to_contain_text(
        "dW = du · xᵀ    (2×3) = (2×1)(1×3) = [[−7, 14, −3.5], [8, −16, 4]]")
    expect(page.locator("#explain-note")).to_contain_text("must have W's shape 2×3")
    assert grid.locator(".tensor-num.grad").all_text_contents() == [
        "−7", "14", "−3.5", "8", "−16", "4"]
    shot("tensor-matmul")


def test_a_big_tensor_is_a_colour_map_with_numbers_on_hover(page: Page, shot) -> None:
    a = [[(r - c) / 10 for c in range(40)] for r in range(12)]
    open_program(page, "f = mean(A * A)", {"A": a}, step=40)
    view = page.locator('#circuit .tensor-view[data-id="n0"]')
    cells = view.locator(".tensor-block.value .tensor-map-cell")
    expect(cells.first).to_be_visible()
    assert cells.count() == 12 * 32  # 40 columns bin into 32 cells
    titles = view.locator(".tensor-block.value .tensor-map-cell title").all_text_contents()
    assert titles[0] == "[0, 0] = 0"
    # 40 columns in 32 cells: some cells hold two columns and say so on hover
    assert titles[1] == "[0, 1] = −0.1"
    assert "[0, 3–4]: mean −0.35 (−0.4 … −0.3)" in titles
    expect(view.locator(".tensor-block.grad .tensor-map-cell")).to_have_count(12 * 32)
    shot("tensor-map")


def test_warnings_are_visible(page: Page) -> None:
    open_program(page, "f = log(x) + 1", {"x": -1}, step=10)
    warned = page.locator("#circuit .node.warn")
    expect(warned).to_have_count(1)
    expect(warned.locator(".warn-mark")).to_have_text("⚠")
    assert "NaN" in (warned.get_attribute("aria-label") or "")


def test_500_gate_program_renders(page: Page, shot) -> None:
    lines = ["a0 = 0.5"] + [f"a{k + 1} = sigmoid(a{k} * 1.01 + 0.1)" for k in range(166)]
    open_program(page, "\n".join(lines))
    # over 300 gates it opens folded, a box a statement; the switch draws every gate
    expect(page.locator("#circuit .node.group-box")).to_have_count(166)
    page.locator("#fold-big").uncheck()
    gates = page.locator("#circuit .node.gate")
    expect(gates).to_have_count(166 * 3)
    page.get_by_role("button", name="Step forward").click()
    expect(page.locator("#position")).to_have_text(re.compile(r"^1 / "))
    shot("500-gates")


def test_narrow_phone_screen(page: Page, shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4}, step=5)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    expect(page.get_by_role("button", name="Step forward")).to_be_visible()
    shot("phone")


def test_offline_and_csp(page: Page) -> None:
    foreign = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else foreign.append(r.url))
    response = page.goto("/?lang=en")
    csp = response.headers["content-security-policy"]
    script_src = csp.split("script-src")[1].split(";")[0]
    assert script_src.strip() == "'self'"
    expect(page.locator("#circuit .node").first).to_be_visible()
    assert foreign == []


def test_user_text_never_runs(page: Page) -> None:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    evil = "f = x <img src=x onerror=alert(1)> </script><script>alert(2)</script>"
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4})
    page.get_by_role("textbox", name="Program").fill(evil)
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_role("textbox", name="Program").fill("<img src=x onerror=alert(3)> = 1\nf = 2")
    page.wait_for_timeout(500)
    assert page.locator("img").count() == 0
    assert dialogs == []


def test_hover_and_focus_show_full_values(page: Page) -> None:
    open_program(page, "f = x / 3", {"x": 1}, step=10)
    x = node(page, "x")
    x.hover()
    expect(page.locator("#node-info")).to_contain_text("x = 1")
    expect(page.locator("#node-info")).to_contain_text("∂f/∂x = 0.3333333333333333")
    page.mouse.move(1, 1)
    gate = page.locator("#circuit .node.gate")
    gate.focus()
    expect(page.locator("#node-info")).to_contain_text("0.3333333333333333")


def test_changing_a_value_keeps_the_step(page: Page) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4}, step=8)
    position = page.locator("#position")
    expect(position).to_have_text(re.compile(r"^8 / "))
    page.get_by_role("slider", name="x slider").fill("3")
    expect(page.locator("#circuit .output-edge text.value")).to_have_text("−32")
    expect(position).to_have_text(re.compile(r"^8 / "))


def test_errors_in_chinese(page: Page) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4})
    page.get_by_role("combobox", name="Language").select_option("zh")
    page.locator("#program").fill("f = sigmod(x)")
    error = page.get_by_role("alert")
    expect(error).to_contain_text("未知函数 'sigmod' —— 你是想写 'sigmoid' 吗？")
    expect(error).to_contain_text("第 1 行，第 5 列")
    page.locator("#program").fill("f = x ＋ 1")
    expect(error).to_contain_text("全角字符 '＋'")


def test_defaults_to_the_browser_language(browser, live_server) -> None:
    context = browser.new_context(locale="zh-CN", base_url=live_server)
    page = context.new_page()
    page.goto("/")
    expect(page.locator("h1")).to_have_text("反向传播实验室")
    expect(page.get_by_role("button", name="前进一步")).to_be_visible()
    context.close()


def test_api_docs_work_offline(page: Page, shot) -> None:
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/docs")
    operation = page.locator(".opblock-summary-path", has_text="/api/graph")
    expect(operation).to_be_visible()
    operation.click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table .response .response-col_status")
    expect(status).to_contain_text("200")
    shot("api-docs")
    assert not [e for e in errors if "Content Security Policy" in e]


def test_zoom_pan_and_fit(page: Page) -> None:
    open_program(page, CS231N, {"x": -2, "y": 5, "z": -4})
    root = page.locator("#circuit .viewport")
    fitted = root.get_attribute("transform")
    scale = lambda: float(re.search(r"scale\(([\d.]+)\)", root.get_attribute("transform"))[1])  # noqa: E731
    before = scale()
    box = page.locator("#circuit").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    expect(root).not_to_have_attribute("transform", fitted)
    assert scale() > before  # wheel up zooms in
    zoomed = root.get_attribute("transform")
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=5)
    page.mouse.up()
    assert root.get_attribute("transform") != zoomed  # dragging the background pans
    page.get_by_role("button", name="Fit to screen").click()
    expect(root).to_have_attribute("transform", fitted)
    page.get_by_role("button", name="Zoom in").click()
    assert scale() > before


def test_an_elementwise_gate_on_a_vector_shows_the_jacobian_it_never_builds(
        page: Page, shot) -> None:
    open_program(page, "h = tanh(x)\nf = sum(h)", {"x": [1, -2, 0.5]}, step=7)
    math = page.locator("#explain-math")
    expect(math).to_contain_text(
        "∂f/∂x = ∂f/∂h · ∂h/∂x = [1, 1, 1] · [0.42, 0.0707, 0.786] = [0.42, 0.0707, 0.786]")
    table = page.locator("#explain-table")
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_contain_text("The full Jacobian ∂h/∂x (3×3)")
    cells = [row.locator("td").all_text_contents() for row in table.locator("tr").all()]
    assert cells == [["0.42", "0", "0"], ["0", "0.0707", "0"], ["0", "0", "0.786"]]
    expect(page.locator("#explain-note")).to_contain_text("3 numbers instead of 9")
    shot("jacobian")
    page.get_by_role("button", name="Step back").click()  # the seed step: no table
    expect(table).to_be_hidden()


def test_a_pooling_step_shows_where_each_gradient_goes(page: Page, shot) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("pooling")
    expect(page.locator('#circuit .tensor-view[data-id="n0"]')).to_have_count(1)
    forward = page.get_by_role("button", name="Step forward")
    note = page.locator("#explain-note")
    table = page.locator("#explain-table")
    marked = page.locator('#circuit .tensor-view[data-id="n0"] .tensor-block.grad'
                          " .tensor-cell.marked")
    seen = set()
    while forward.is_enabled():
        forward.click()
        text = note.inner_text()
        if "Max pooling sends" in text:
            seen.add("max")
            rows = [r.locator("td").all_text_contents() for r in table.locator("tr").all()]
            assert rows == [["M[0,0]", "→", "X[1,0]", "1"], ["M[0,1]", "→", "X[1,3]", "2"],
                            ["M[1,0]", "→", "X[3,0]", "3"], ["M[1,1]", "→", "X[3,3]", "4"]]
            expect(marked).to_have_count(4)  # the winners 4, 6, 7 and 8 are outlined
            shot("max-pool")
        elif "Mean pooling spreads" in text:
            seen.add("mean")
            expect(table.locator("tr").first).to_contain_text("1 / 4 = 0.25")
            expect(marked).to_have_count(0)
    assert seen == {"max", "mean"}
