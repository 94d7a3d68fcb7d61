"""A lesson file opened from disk in Chromium with every request blocked: it steps through
the forward and backward pass to cs231n's numbers, explains, switches to Chinese, runs the
teaching tools from its stored answers, and will not be edited."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from app.lesson import lesson_html


def open_offline(page: Page, path: Path) -> list[str]:
    """Open the file with the network blocked: every request but the file itself aborts
    (and is listed, so a test can say none was made)."""
    url = path.resolve().as_uri()
    tried: list[str] = []

    def block(route: Route) -> None:
        if route.request.url == url:
            route.continue_()
            return
        tried.append(route.request.url)
        route.abort()

    page.context.route("**/*", block)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    expect(page.locator("#circuit g.node")).to_have_count(5)
    assert not errors, errors
    return tried


def test_a_lesson_steps_to_the_end_offline(page: Page, tmp_path: Path, shot) -> None:
    path = tmp_path / "lesson.html"
    path.write_text(lesson_html("f = (x + y) * z", {"x": -2, "y": 5, "z": -4}, lang="en"),
                    encoding="utf-8")
    tried = open_offline(page, path)

    position = page.locator("#position")
    expect(position).to_have_text(re.compile(r"^0 / 10"))
    forward = page.get_by_role("button", name="Step forward")
    math = page.locator("#explain-math")
    for _ in range(5):  # the forward pass: x, y, +, z, ×
        forward.click()
    expect(page.locator("#explain")).to_contain_text("−12")
    expect(page.locator("#circuit")).to_contain_text("−12")
    seen = []
    for _ in range(5):  # the seed, then each wire back
        forward.click()
        seen.append(math.text_content())
    expect(position).to_have_text(re.compile(r"^10 / 10"))
    assert any(t.endswith("= −4") and "∂f/∂x" in t for t in seen), seen
    assert any(t.endswith("= −4") and "∂f/∂y" in t for t in seen), seen
    assert any(t.endswith("= 3") and "∂f/∂z" in t for t in seen), seen
    grads = page.locator("#circuit text.grad")
    texts = [t for t in grads.all_text_contents() if t]
    assert texts.count("−4") >= 3 and "3" in texts, texts
    shot("lesson-file-end")

    # the teaching tools answer from the file
    page.get_by_role("tab", name="Gradient check").click()
    expect(page.locator("#check-rows tr")).to_have_count(3)
    page.get_by_role("tab", name="Code").click()
    expect(page.locator("#code")).to_contain_text("dx")
    page.get_by_role("tab", name="Nudge plot").click()
    expect(page.locator("#plot-note")).not_to_be_empty()
    expect(page.locator("#error")).to_be_hidden()

    # both languages
    page.locator("#lang").select_option("zh")
    expect(page.locator("#lesson-note")).to_contain_text("课件")
    expect(page.locator("h1")).to_have_text("反向传播实验室")
    expect(page.get_by_role("button", name="后退一步")).to_be_visible()
    shot("lesson-file-zh")

    # editing is off, and says so
    program = page.locator("#program")
    assert program.evaluate("el => el.readOnly")
    program.press("End")
    program.type(" + 1")
    expect(program).to_have_value("f = (x + y) * z")
    expect(page.locator("#inputs input").first).to_be_disabled()
    expect(page.locator("#tab-train")).to_be_hidden()
    assert tried == [], f"the lesson file tried the network: {tried}"


def test_composite_gates_expand_from_the_stored_answers(page: Page, tmp_path: Path) -> None:
    path = tmp_path / "sigmoid.html"
    path.write_text(lesson_html("f = sigmoid(w0*x0 + w1*x1 + w2)", {
        "w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, lang="en"), encoding="utf-8")
    url = path.resolve().as_uri()
    page.context.route("**/*", lambda route: route.continue_() if route.request.url == url
                       else route.abort())
    page.goto(url)
    from app import lab

    circuit = lab.circuit("f = sigmoid(w0*x0 + w1*x1 + w2)", w0=2, x0=-1, w1=-3, x1=-2,
                          w2=-3)
    nodes = page.locator("#circuit g.node")
    expect(nodes).to_have_count(len(circuit))
    page.get_by_label("Composite gates as primitives").check()
    expect(nodes).to_have_count(len(circuit.expanded()))  # σ as its primitive gates
    expect(page.locator("#error")).to_be_hidden()


def test_export_lesson_on_the_page_saves_a_file_that_opens_offline(
        page: Page, base_url: str, tmp_path: Path, browser, shot) -> None:
    """The page's Export lesson saves the program and values on screen, with an input
    value the learner typed; the file opens from disk with the network blocked and shows
    the typed value's numbers. A wrong program says why there is no file."""
    page.goto(base_url + "/")
    program = page.locator("#program")
    program.fill("x = -2\ny = 5\nz = 3\nf = (x + y) * z")
    expect(page.locator("#circuit g.node")).to_have_count(5)
    page.get_by_role("spinbutton", name="z", exact=True).fill("-4")  # typed, not in the program
    page.locator("#timeline").fill("1000")
    page.locator("#timeline").dispatch_event("input")
    expect(page.locator("#circuit")).to_contain_text("−12")
    button = page.get_by_role("button", name="Export lesson")
    with page.expect_download() as saved:
        button.click()
    download = saved.value
    assert download.suggested_filename == "lesson.html"
    path = tmp_path / "lesson.html"
    download.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert "f = (x + y) * z" in text

    offline = browser.new_page()
    try:
        tried = open_offline(offline, path)
        forward = offline.get_by_role("button", name="Step forward")
        for _ in range(10):
            forward.click()
        expect(offline.locator("#position")).to_have_text(re.compile(r"^10 / 10"))
        expect(offline.locator("#circuit")).to_contain_text("−12")
        expect(offline.locator("#export-lesson")).to_be_hidden()
        assert tried == [], tried
    finally:
        offline.close()

    # a program with a mistake: no download, a sentence in the toolbar that says why
    program.fill("f = (x + ")
    expect(page.locator("#error")).to_be_visible()
    button.click()
    status = page.locator("#export-status")
    expect(status).to_contain_text("No lesson file")
    expect(status).to_have_class(re.compile("is-error"))
    shot("export-lesson-refused")
