"""Draw the README's pictures (docs/*.png) from the page as it is now.

    .venv/bin/python docs/pictures.py            # all of them
    .venv/bin/python docs/pictures.py page mlp   # some

Serves the app on a free port, drives Debian's chromium through Playwright (as the
browser tests do) and saves each picture at 100 %: look at every one before committing.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from app.main import app  # noqa: E402

DOCS = ROOT / "docs"
STAGED = ("x = 3\ny = -4\nsigy = sigmoid(y)\nnum = x + sigy\nsigx = sigmoid(x)\nxpy = x + y\n"
          "xpysqr = xpy^2\nden = sigx + xpysqr\ninvden = 1 / den\nf = num * invden\n")
PICTURES: dict[str, tuple[tuple[int, int], Callable[[Page], None]]] = {}


def picture(name: str, size: tuple[int, int] = (1280, 800)):
    def register(fn: Callable[[Page], None]) -> Callable[[Page], None]:
        PICTURES[name] = (size, fn)
        return fn
    return register


def settle(page: Page) -> None:
    """Until the circuit stops changing (an answer drawn, its labels placed)."""
    last = None
    for _ in range(60):
        now = page.evaluate("""() => [document.querySelectorAll("#circuit *").length,
          (document.querySelector("#circuit .viewport") || {getAttribute: () => ""})
            .getAttribute("transform"), document.getElementById("position").textContent]""")
        if now == last:
            return
        last = now
        page.wait_for_timeout(200)


def preset(page: Page, name: str, lang: str = "en") -> None:
    page.goto(f"/?lang={lang}")
    expect(page.locator(f'#examples option[value="{name}"]')).to_be_attached(timeout=15_000)
    page.locator("#examples").select_option(name)
    expect(page.locator("#circuit .output-edge")).to_be_attached()
    settle(page)


def program(page: Page, source: str, values: dict | None = None, step: int = 0,
            lang: str = "en") -> None:
    url = f"/#p={quote(source)}&lang={lang}"
    if values:
        url += "&v=" + quote(json.dumps(values))
    if step:
        url += f"&s={step}"
    page.goto("/?lang=en")
    page.goto(url)
    expect(page.locator("#circuit .output-edge")).to_be_attached()
    settle(page)


def step_to(page: Page, k: int) -> None:
    page.locator("#timeline").fill(str(k))
    page.locator("#timeline").dispatch_event("input")
    settle(page)


def hide_program(page: Page) -> None:
    """The program's column folded away, unless a wide circuit has folded it already."""
    hide = page.get_by_role("button", name="Hide the program")
    if hide.count():
        hide.click()


@picture("page")
def page_en(page: Page) -> None:
    preset(page, "staged-backprop")
    step_to(page, 21)


@picture("page-zh")
def page_zh(page: Page) -> None:
    preset(page, "staged-backprop", "zh")
    step_to(page, 21)


@picture("expanded")
def expanded(page: Page) -> None:
    preset(page, "sigmoid-neuron-expanded")
    step_to(page, 1000)
    hide_program(page)
    settle(page)


@picture("gradient-check-kink")
def kink(page: Page) -> None:
    program(page, "f = relu(x) + max(a, b)", {"x": 0, "a": 1, "b": 1}, step=40)
    page.get_by_role("tab", name="Gradient check").click()
    expect(page.locator("#check-kink")).to_be_visible()
    settle(page)


@picture("code-tab")
def code_tab(page: Page) -> None:
    program(page, "q = x + y\nf = q * x", {"x": -2, "y": 5}, step=9)
    page.get_by_role("tab", name="Code").click()
    expect(page.locator("#code .code-line.current")).to_be_visible()
    settle(page)


@picture("nudge-plot")
def nudge(page: Page) -> None:
    program(page, "f = x^2", {"x": 2}, step=10)
    page.get_by_role("tab", name="Nudge plot").click()
    expect(page.locator("#plot .plot-label")).to_have_text("slope at x = 2: ∂f/∂x = 4")
    settle(page)


@picture("practice")
def practice(page: Page) -> None:
    program(page, "x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z\n")
    page.get_by_label("Practice: predict each gradient").check()
    forward = page.get_by_role("button", name="Step forward")
    for _ in range(7):
        forward.click()
    answer = page.get_by_role("textbox", name=re.compile("what gradient flows back"))
    answer.fill("-4")
    page.get_by_role("button", name="Check").click()
    forward.click()
    expect(page.locator("#quiz-question")).to_be_visible()
    settle(page)


@picture("forgot-plus-equals", (1280, 1000))
def forgot(page: Page) -> None:
    program(page, STAGED, step=40)
    page.get_by_role("button", name="Forgot the +=?").click()
    expect(page.locator("#bug-demo")).to_be_visible()
    page.locator("#bug-demo").evaluate("(e) => e.scrollIntoView({ block: 'nearest' })")
    settle(page)


@picture("update", (1440, 900))
def update(page: Page) -> None:
    preset(page, "mazur-network")
    page.get_by_label("Update: one step of gradient descent").check()
    settle(page)
    apply = page.get_by_role("button", name="Apply the update")
    for _ in range(3):
        step_to(page, 1000)
        apply.click()
        settle(page)
    step_to(page, 1000)
    hide_program(page)
    page.get_by_role("button", name="Fit to screen").click()
    settle(page)


@picture("mlp", (1600, 1000))
def mlp(page: Page) -> None:
    preset(page, "tanh-mlp-softmax")
    forward = page.get_by_role("button", name="Step forward")
    while "∂loss/∂W2" not in page.locator("#explain-math").inner_text():
        forward.click()
    hide_program(page)
    settle(page)


@picture("pooling", (1280, 1000))
def pooling(page: Page) -> None:
    preset(page, "pooling")
    forward = page.get_by_role("button", name="Step forward")
    while "Max pooling sends" not in page.locator("#explain-note").inner_text():
        forward.click()
    hide_program(page)
    settle(page)


@picture("network-builder", (1280, 1000))
def builder(page: Page) -> None:
    page.goto("/?lang=en")
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.locator("#builder summary").click()
    page.get_by_label("Layer sizes").fill("2, 2, 2")
    page.get_by_label("Activation").select_option("sigmoid")
    page.get_by_label("Loss", exact=True).select_option("half_sse")
    page.get_by_role("button", name="Write the program").click()
    expect(page.locator("#net-agree caption")).to_be_visible()
    page.get_by_role("radio", name="Neuron form").check()
    expect(page.locator("#circuit .node.input")).to_have_count(16)
    step_to(page, 1000)
    page.locator("#net-agree").evaluate("(e) => e.scrollIntoView({ block: 'end' })")
    settle(page)


@picture("training", (1280, 860))
def training(page: Page) -> None:
    preset(page, "seed004-train")
    expect(page.locator("#train-canvas-wrap")).to_be_visible()
    page.get_by_label("Passes").fill("100000")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("Pass ", timeout=10_000)
    hide_program(page)
    # the whole circuit, the maps beside h
    page.get_by_role("button", name="Fit to screen", exact=True).click()
    page.wait_for_timeout(4000)
    page.mouse.move(0, 0)
    page.screenshot(path=str(DOCS / "training.png"), full_page=True)
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#train-note")).to_contain_text("Cancelled after")


def serve() -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main(names: list[str]) -> None:
    unknown = set(names) - set(PICTURES)
    if unknown:
        raise SystemExit(f"no such picture: {', '.join(sorted(unknown))} "
                         f"(there are {', '.join(PICTURES)})")
    server, thread, base = serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=shutil.which("chromium"),
                                         args=["--disable-gpu"])
            for name in names or list(PICTURES):
                (width, height), draw = PICTURES[name]
                context = browser.new_context(base_url=base, locale="en-US",
                                              viewport={"width": width, "height": height})
                page = context.new_page()
                draw(page)
                if name != "training":  # it saves itself mid-run
                    page.evaluate("() => document.activeElement && document.activeElement.blur()")
                    page.mouse.move(0, 0)
                    # a tab other than the explanation is a page that scrolls: all of it
                    whole = page.locator("#explain").is_hidden()
                    page.screenshot(path=str(DOCS / f"{name}.png"), full_page=whole)
                print(DOCS / f"{name}.png")
                context.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main(sys.argv[1:])
