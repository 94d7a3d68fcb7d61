"""Export SVG and Export PNG keep everything the screen shows: every number, the dashes of
a constant, the greens and reds; no controls; not one console error or CSP violation.

The exported SVG is drawn in a page of its own (as markup, and as an image, the way the
PNG is made) and compared with the circuit on screen.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.drawing import measure, settle

# Pixels near the page's value green (#1b7f3b) and gradient red (#c62828), counted in an
# image drawn into a canvas: the share of each among all pixels.
COUNT = """async (src) => {
  const img = new Image();
  img.src = src;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let green = 0, red = 0;
  const near = (i, r, g, b) => Math.abs(data[i] - r) + Math.abs(data[i + 1] - g)
    + Math.abs(data[i + 2] - b) < 90;
  for (let i = 0; i < data.length; i += 4) {
    if (near(i, 27, 127, 59)) green += 1;
    else if (near(i, 198, 40, 40)) red += 1;
  }
  const n = data.length / 4;
  return { green: green / n, red: red / n, width: canvas.width, height: canvas.height };
}"""


def watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def export(page: Page, button: str, path: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    download.value.save_as(path)
    return path


def test_the_exports_keep_every_number_and_colour(page: Page, context, tmp_path: Path) -> None:
    errors = watch_errors(page)
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("staged-backprop")
    expect(page.locator("#circuit .output-edge")).to_be_attached()
    page.locator("#timeline").press("End")
    expect(page.locator("#circuit .output-edge text.grad")).to_have_text("1")
    settle(page)
    # what the screen shows but the ± handles (classless texts: controls, not the picture)
    on_screen = Counter(t["text"] for t in measure(page)["texts"] if t["cls"])
    circuit_png = page.locator("#circuit").screenshot()

    svg_text = export(page, "Export SVG", tmp_path / "circuit.svg").read_text(encoding="utf-8")
    png = export(page, "Export PNG", tmp_path / "circuit.png").read_bytes()
    page.wait_for_timeout(300)
    assert errors == [], errors  # no CSP violation, nothing thrown

    assert svg_text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg_text
    assert not re.search(r"\sstyle=", svg_text)  # nothing the page's CSP would refuse
    assert "tabindex" not in svg_text and "gate-handle" not in svg_text
    assert "<title>" not in svg_text
    assert 'stroke-dasharray="3px, 2px"' in svg_text or 'stroke-dasharray="3, 2"' in svg_text
    assert png[:8] == b"\x89PNG\r\n\x1a\n"

    other = context.new_page()
    other_errors = watch_errors(other)
    other.set_content(f"<!doctype html><body style='margin:0'>{svg_text}</body>")
    exported = Counter(other.locator("svg text:not([aria-hidden])").all_text_contents())
    assert exported == on_screen
    # the labels are not hidden under their halos: each halo is drawn first, then the text
    halos = other.locator("svg text[aria-hidden]")
    assert halos.count() > 10
    assert halos.first.evaluate("(t) => t.nextElementSibling.getAttribute('stroke')") == "none"

    # drawn as an image (as Export PNG draws it), and the PNG itself: green and red, in
    # about the share the screen shows
    screen = other.evaluate(COUNT,
                            "data:image/png;base64," + base64.b64encode(circuit_png).decode())
    as_image = other.evaluate(COUNT, "data:image/svg+xml;base64,"
                              + base64.b64encode(svg_text.encode()).decode())
    from_png = other.evaluate(COUNT, "data:image/png;base64," + base64.b64encode(png).decode())
    for drawn in (as_image, from_png):
        for colour in ("green", "red"):
            assert drawn[colour] > 0.002, (colour, drawn)
            ratio = drawn[colour] / screen[colour]
            assert 0.25 < ratio < 4, (colour, drawn, screen)
    assert from_png["width"] >= 2 * as_image["width"] - 2  # the PNG at twice the size
    assert other_errors == []
