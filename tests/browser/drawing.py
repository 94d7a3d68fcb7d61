"""What the circuit shows, read off the page: every visible text with its box, the node
shapes, and the overlaps between them (for tests/browser/test_labels.py and others)."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page

# Boxes in drawing coordinates (the circuit's root group, whatever the zoom): a text's
# getBBox() carried through its transforms. A text is visible when it has text of its
# own (its <title> is not drawn) and nothing hides it.
MEASURE = """() => {
  const svg = document.getElementById("circuit");
  const root = svg.querySelector(".viewport");
  if (!root) return { texts: [], shapes: [] };
  const toRoot = root.getScreenCTM().inverse();
  const box = (el) => {
    const b = el.getBBox();
    const m = toRoot.multiply(el.getScreenCTM());
    const xs = [], ys = [];
    for (const [x, y] of [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height],
                          [b.x + b.width, b.y + b.height]]) {
      xs.push(m.a * x + m.c * y + m.e);
      ys.push(m.b * x + m.d * y + m.f);
    }
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  };
  // its text nodes and lines (tspan), not its tooltip (title)
  const own = (t) => [...t.childNodes].filter((n) => n.nodeType === 3 || n.localName === "tspan")
    .map((n) => n.textContent).join("");
  const shown = (el) => {
    for (let e = el; e && e !== svg; e = e.parentNode) {
      const style = getComputedStyle(e);
      const gone = style.display === "none" || style.visibility === "hidden";
      if (gone || Number(style.opacity) === 0) return false;
    }
    return true;
  };
  const texts = [];
  for (const t of svg.querySelectorAll("text")) {
    const text = own(t).trim();
    if (!text || !shown(t)) continue;
    const node = t.closest(".node, .tensor-view, .gate-handle");
    texts.push({ text, cls: t.getAttribute("class") || "", box: box(t),
                 owner: node ? (node.dataset.id || node.dataset.origin || "") : "",
                 size: parseFloat(getComputedStyle(t).fontSize) });
  }
  const shapes = [];
  for (const s of svg.querySelectorAll(".node .shape, .tensor-bg")) {
    const node = s.closest(".node, .tensor-view");
    shapes.push({ kind: s.tagName, box: box(s), owner: node ? node.dataset.id : "" });
  }
  return { texts, shapes };
}"""

LABELS = ("value", "grad", "node-new")  # the classes of the placed labels


def measure(page: Page) -> dict[str, Any]:
    return page.evaluate(MEASURE)


def overlap(a: list[float], b: list[float], tolerance: float = 1.0) -> bool:
    """Two boxes share more than `tolerance` px both across and down."""
    return (min(a[2], b[2]) - max(a[0], b[0]) > tolerance
            and min(a[3], b[3]) - max(a[1], b[1]) > tolerance)


def circle_hits(circle: list[float], b: list[float], tolerance: float = 1.0) -> bool:
    """A box reaches more than `tolerance` px into the circle inscribed in `circle`."""
    cx, cy = (circle[0] + circle[2]) / 2, (circle[1] + circle[3]) / 2
    r = (circle[2] - circle[0]) / 2 - tolerance
    nx, ny = min(max(cx, b[0]), b[2]), min(max(cy, b[1]), b[3])
    return (nx - cx) ** 2 + (ny - cy) ** 2 < r * r


def collisions(drawn: dict[str, Any], tolerance: float = 1.0) -> list[str]:
    """Every pair of visible texts that overlap, and every placed label (a wire's value or
    gradient, an input's sum or new value) that lands on a node or a tensor's numbers."""
    texts = sorted(drawn["texts"], key=lambda t: t["box"][0])
    found = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if b["box"][0] >= a["box"][2] - tolerance:
                break
            if overlap(a["box"], b["box"], tolerance):
                found.append(f"{a['text']!r} ({a['cls']}) on {b['text']!r} ({b['cls']})")
    for t in drawn["texts"]:
        classes = t["cls"].split()
        if "tensor-num" in classes or not any(c in classes for c in LABELS):
            continue
        for s in drawn["shapes"]:
            hit = (circle_hits(s["box"], t["box"], tolerance) if s["kind"] == "circle"
                   else overlap(s["box"], t["box"], tolerance))
            if hit:
                found.append(f"{t['text']!r} ({t['cls']}) on the {s['kind']} of {s['owner']}")
    return found


def settle(page: Page, timeout: float = 10.0) -> None:
    """Wait until the circuit stops changing (the answer drawn, the labels placed)."""
    last = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = page.evaluate("""() => {
          const c = document.getElementById("circuit");
          return [c.querySelectorAll("*").length, c.querySelector(".viewport")
                  ? c.querySelector(".viewport").getAttribute("transform") : "",
                  document.getElementById("position").textContent,
                  [...c.querySelectorAll("text")].map((t) => t.getAttribute("x")).join()];
        }""")
        if now == last:
            return
        last = now
        page.wait_for_timeout(150)
