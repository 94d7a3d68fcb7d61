"""A circuit as a static picture: SVG written on the server from the layout the API gives.

`circuit_svg(body)` draws the answer of `POST /api/graph` as the page draws it at the end
of the backward pass — gates as circles, inputs and constants as rounded boxes, each wire
with its value above it (green) and the gradient it carried back below it (red, italic),
each node's gradient under it, a tensor's numbers (or a colour map of them) under its
node, in the box the layout left for them. `circuit_html` shows it as an image (an SVG data:
URL, which sanitising front ends keep where they drop inline SVG) beside the program and
a table of every named node's value and gradient. Everything is presentation attributes
and text: no script, no stylesheet, so a notebook viewer shows it as it is (Jupyter's
`_repr_html_` of a circuit, app/lab.py).
"""

from __future__ import annotations

import base64
import html
import math
import re
from typing import Any

import numpy as np

R = 22  # a gate's radius (static/js/circuit.js draws the same)
STUB = 70  # the output's wire out of the circuit
LABEL_FAN_OUT = 0.64
LABEL_SINGLE = 0.4

INK = "#1d2330"
MUTED = "#5c6577"
VALUE = "#1b7f3b"
GRAD = "#c62828"
ACCENT = "#2f5fd0"
LINE = "#c9cfdb"
SANS = ("system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', "
        "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif")
MONO = "ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace"
NON_FINITE = {"NaN": "NaN", "Infinity": "∞", "-Infinity": "−∞"}


def num(x: Any) -> str:
    """A scalar for a label: 3 significant digits and a real minus sign (format.js's num)."""
    if isinstance(x, str):
        return NON_FINITE.get(x, x)
    if x is None:
        return ""
    x = float(x)
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("∞" if x > 0 else "−∞")
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-3:
        mantissa, exponent = f"{x:.2e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}e{int(exponent):+d}"
    else:
        text = f"{float(f'{x:.3g}'):g}"
    return "−" + text[1:] if text.startswith("-") else text


def label(value: Any, shape: list[int]) -> str:
    if isinstance(value, list):
        return "[" + "×".join(map(str, shape)) + "]"
    return num(value)


def _attrs(**attrs: Any) -> str:
    return "".join(f' {k.rstrip("_").replace("_", "-")}="{html.escape(str(v))}"'
                   for k, v in attrs.items() if v is not None)


def _el(name: str, **attrs: Any) -> str:
    """An empty SVG element."""
    return f"<{name}{_attrs(**attrs)}/>"


def _text(x: float, y: float, text: str, **attrs: Any) -> str:
    return f"<text{_attrs(x=f'{x:.1f}', y=f'{y:.1f}', **attrs)}>{html.escape(text)}</text>"


def _path(points: list[list[float]]) -> str:
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    if len(points) == 2:
        return d + f" L{points[1][0]:.1f},{points[1][1]:.1f}"
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        mx = (x0 + x1) / 2
        d += f" C{mx:.1f},{y0:.1f} {mx:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
    return d


def _along(points: list[list[float]], fraction: float) -> tuple[float, float]:
    lengths = [math.dist(a, b) for a, b in zip(points, points[1:], strict=False)]
    walk = sum(lengths) * fraction
    for i, length in enumerate(lengths):
        if walk <= length or i == len(lengths) - 1:
            f = walk / length if length else 0.0
            (x0, y0), (x1, y1) = points[i], points[i + 1]
            return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
        walk -= length
    return points[0][0], points[0][1]


def _edge_grads(body: dict[str, Any]) -> dict[tuple[str, str, int], Any]:
    """The gradient each wire carried back: its backward step's product."""
    out: dict[tuple[str, str, int], Any] = {}
    for step in body["steps"]:
        if step["phase"] == "backward":
            for edge in step.get("edges", ()):
                out[(edge["input"], step["node"], edge["position"])] = edge["product"]
    return out


def _matrix(value: Any) -> list[list[Any]]:
    if not isinstance(value, list):
        return [[value]]
    if not value or not isinstance(value[0], list):
        return [value]
    rows: list[list[Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if item and isinstance(item[0], list):
            stack.extend(reversed(item))
        else:
            rows.append(item)
    return rows


def _fill(x: Any, scale: float, positive: tuple[int, int, int]) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "#f5c518"
    if not scale:
        return "#ffffff"
    t = min(1.0, abs(x) / scale)
    r, g, b = positive if x >= 0 else (70, 110, 200)
    return "rgb({},{},{})".format(*(round(255 + (c - 255) * t) for c in (r, g, b)))


def _block(view: dict[str, Any], value: Any, x0: float, colour: str,
           positive: tuple[int, int, int]) -> list[str]:
    cw, ch = view["cell"]
    matrix = _matrix(value)
    out: list[str] = []
    if view["kind"] == "grid":
        font = view.get("font") or 11
        for i, row in enumerate(matrix):
            for j, x in enumerate(row):
                out.append(_el("rect", x=x0 + j * cw, y=i * ch, width=cw, height=ch,
                               fill="none", stroke=LINE, stroke_width=0.6))
                text = num(x)
                size = font if len(text) <= 7 else 8.5
                out.append(_text(x0 + j * cw + cw / 2, i * ch + ch - 4, text, fill=colour,
                                 font_family=MONO, font_size=size, text_anchor="middle"))
        return out
    rows, cols = view["rows"], view["cols"]
    cr, cc = view["cells"]
    numbers = np.array([[np.nan if not isinstance(x, int | float) else x for x in row]
                        for row in matrix], dtype=float)
    means = np.zeros((cr, cc))
    for i in range(cr):
        r0, r1 = i * rows // cr, (i + 1) * rows // cr
        for j in range(cc):
            c0, c1 = j * cols // cc, (j + 1) * cols // cc
            block = numbers[r0:r1, c0:c1]
            means[i, j] = np.nan if np.isnan(block).any() else block.mean()
    finite = means[np.isfinite(means)]
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    for i in range(cr):
        for j in range(cc):
            out.append(_el("rect", x=x0 + j * cw, y=i * ch, width=cw, height=ch,
                           fill=_fill(float(means[i, j]), scale, positive)))
    out.append(_el("rect", x=x0, y=0, width=cc * cw, height=cr * ch, fill="none",
                   stroke=LINE, stroke_width=0.8))
    return out


def _tensor(view: dict[str, Any], value: Any, grad: Any, at: tuple[float, float]) -> str:
    width = view["cells"][1] * view["cell"][0]
    parts = [_el("rect", x=-3, y=-3, width=view["w"] + 6, height=view["h"] + 6, rx=3,
                 fill="#fff", fill_opacity=0.92)]
    parts += _block(view, value, 0, VALUE, (30, 140, 60))
    if grad is not None and not isinstance(grad, dict):
        parts += _block(view, grad, width + (view["w"] - 2 * width), GRAD, (200, 40, 40))
    x, y = at
    return f'<g transform="translate({x + view["x"]:.1f},{y + view["y"]:.1f})">{"".join(parts)}</g>'


def circuit_svg(body: dict[str, Any]) -> str:
    """The circuit of an /api/graph answer, at the end of its backward pass, as SVG."""
    layout = body["layout"]
    pos = layout["nodes"]
    nodes = body["nodes"]
    by_id = {n["id"]: n for n in nodes}
    routes: dict[tuple[str, str], list[list[list[float]]]] = {}
    for route in layout.get("edges", []):
        routes.setdefault((route["from"], route["to"]), []).append(route["points"])
    uses: dict[str, int] = {}
    for node in nodes:
        for i in node["inputs"]:
            uses[i] = uses.get(i, 0) + 1
    carried = _edge_grads(body)
    wires: list[str] = []
    labels: list[str] = []

    def wire(source: str, points: list[list[float]], grad: Any, at: float) -> None:
        wires.append(_el("path", d=_path(points), fill="none", stroke="#8792a6",
                         stroke_width=1.6))
        src = by_id[source]
        if pos[source].get("view"):
            return  # a tensor's numbers are under its node, not on its wires
        x, y = _along(points, at)
        labels.append(_text(x, y - 7, label(src["value"], src["shape"]), fill=VALUE,
                            font_weight=600, font_family=SANS, font_size=13,
                            text_anchor="middle"))
        if grad is not None:
            labels.append(_text(x, y + 17, label(grad, src["shape"]), fill=GRAD,
                                font_style="italic", font_family=SANS, font_size=13,
                                text_anchor="middle"))

    seen: dict[tuple[str, str], int] = {}
    for node in nodes:
        b = pos[node["id"]]
        for position, source in enumerate(node["inputs"]):
            a = pos[source]
            key = (source, node["id"])
            k = seen.get(key, 0)
            seen[key] = k + 1
            given = routes.get(key, [])
            points = [list(p) for p in given[k]] if k < len(given) and len(given[k]) >= 2 \
                else [[a["x"], a["y"]], [b["x"], b["y"]]]
            points[0] = [points[0][0] + R, points[0][1]]
            points[-1] = [b["x"] - R, b["y"] + 8 * k]
            at = LABEL_FAN_OUT if uses.get(source, 0) > 1 else LABEL_SINGLE
            wire(source, points, carried.get((source, node["id"], position)), at)
    out = by_id[body["output"]]
    o = pos[out["id"]]
    wire(out["id"], [[o["x"] + R, o["y"]], [o["x"] + R + STUB, o["y"]]], out["grad"], 0.5)

    shapes: list[str] = []
    tensors: list[str] = []
    for node in nodes:
        p = pos[node["id"]]
        kind = "input" if node["op"] == "input" else "const" if node["op"] == "const" else "gate"
        parts = []
        if kind == "gate":
            parts.append(_el("circle", r=R, fill="#fff", stroke=VALUE, stroke_width=2.2))
        elif kind == "input":
            parts.append(_el("rect", x=-R - 6, y=-15, width=2 * R + 12, height=30, rx=8,
                             fill="#eef3ff", stroke=VALUE, stroke_width=2.2))
        else:
            parts.append(_el("rect", x=-R - 6, y=-15, width=2 * R + 12, height=30, rx=8,
                             fill="#f2f2f2", stroke="#56607a", stroke_width=1.6,
                             stroke_dasharray="3 2"))
        symbol = node["label"] if kind == "gate" else (node["name"] or node["label"])
        parts.append(_text(0, 5, symbol, fill=INK, text_anchor="middle",
                           font_family=SANS if kind == "gate" else MONO, font_size=15))
        if kind == "gate" and node["name"]:
            parts.append(_text(0, -R - 8, node["name"], fill=MUTED, font_weight=600,
                               font_family=MONO, font_size=13, text_anchor="middle"))
        if node["shape"]:
            y = -R - (22 if node["name"] else 8) if kind == "gate" else -21
            parts.append(_text(0, y, "[" + "×".join(map(str, node["shape"])) + "]",
                               fill=ACCENT, font_family=MONO, font_size=11,
                               text_anchor="middle"))
        if node["grad"] is not None and not p.get("view"):
            parts.append(_text(0, R + 18, label(node["grad"], node["shape"]), fill=GRAD,
                               font_style="italic", font_family=SANS, font_size=13,
                               text_anchor="middle", stroke="#fcfdff", stroke_width=4,
                               paint_order="stroke"))
        if node.get("warnings"):
            parts.append(_text(R - 2, -R + 6, "⚠", fill="#b26a00", font_size=16,
                               text_anchor="middle"))
        title = f"{node['name'] or node['label']} = {node['value']}"
        if node["grad"] is not None:
            title += f"  ∂ = {node['grad']}"
        shapes.append(f'<g transform="translate({p["x"]:.1f},{p["y"]:.1f})">'
                      f"<title>{html.escape(title[:2000])}</title>{''.join(parts)}</g>")
        if p.get("view"):
            tensors.append(_tensor(p["view"], node["value"], node["grad"], (p["x"], p["y"])))

    x0, y0 = -40, -50
    width = (layout.get("width") or 200) + STUB + 80
    height = (layout.get("height") or 100) + 100
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0} {y0} {width:.0f} '
            f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" role="img" '
            f'aria-label="Circuit" style="max-width:100%;height:auto">'
            f'<rect x="{x0}" y="{y0}" width="{width:.0f}" height="{height:.0f}" fill="#fff"/>'
            f'<g>{"".join(wires)}</g><g>{"".join(shapes)}</g><g>{"".join(tensors)}</g>'
            f'<g>{"".join(labels)}</g></svg>')


def _full(value: Any, shape: list[int]) -> str:
    if isinstance(value, list):
        size = math.prod(shape)
        if size > 64:
            return "[" + "×".join(map(str, shape)) + "]"
        arr = np.array(value, dtype=object)
        return np.array2string(arr, separator=", ", formatter={"all": num},
                               max_line_width=80)
    return num(value) if value is not None else "—"


def circuit_html(body: dict[str, Any], title: str = "") -> str:
    """The SVG, then a table of every named node: value, and gradient of the output."""
    out = next(n for n in body["nodes"] if n["id"] == body["output"])
    who = out["name"] or "out"
    rows = []
    for node in body["nodes"]:
        if not node["name"]:
            continue
        mark = " (output)" if node is out else ""
        rows.append(
            f"<tr><td style=\"text-align:left;font-family:{html.escape(MONO)}\">"
            f"{html.escape(node['name'])}{mark}</td><td style=\"text-align:left\">"
            f"{html.escape(node['op'])}</td>"
            f"<td style=\"color:{VALUE};text-align:right\"><pre style=\"margin:0\">"
            f"{html.escape(_full(node['value'], node['shape']))}</pre></td>"
            f"<td style=\"color:{GRAD};text-align:right\"><pre style=\"margin:0\">"
            f"{html.escape(_full(node['grad'], node['shape']))}</pre></td></tr>")
    head = (f"<tr><th style=\"text-align:left\">name</th><th style=\"text-align:left\">op</th>"
            f"<th>value</th><th>∂{html.escape(who)}/∂name</th></tr>")
    caption = (f"<pre style=\"margin:0 0 0.4em;color:{MUTED}\">{title}</pre>" if title else "")
    warnings = "".join(f"<p style=\"color:#b26a00;margin:0.2em 0\">⚠ {html.escape(w)}</p>"
                       for w in body.get("warnings", []))
    return (f'<div class="backprop-lab-circuit">{caption}{svg_image(body)}{warnings}'
            f'<table class="backprop-lab-numbers" style="font-family:{html.escape(SANS)};'
            f'border-collapse:collapse">{head}{"".join(rows)}</table></div>')


def svg_image(body: dict[str, Any]) -> str:
    """The SVG as an <img> of a data: URL. A notebook front end sanitises the HTML of an
    output it does not trust (a notebook opened from a file, not run here): JupyterLab
    drops inline <svg> and keeps its text, but shows an image. The numbers are in the
    alt text too."""
    svg = circuit_svg(body)
    width = re.search(r'width="(\d+)"', svg)
    alt = "; ".join(f"{n['name'] or n['label']} = {label(n['value'], n['shape'])}"
                    + (f", gradient {label(n['grad'], n['shape'])}" if n["grad"] is not None
                       else "")
                    for n in body["nodes"] if n["name"] or n["id"] == body["output"])
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape("Circuit: " + alt)}"'
            f' width="{width.group(1) if width else 600}" style="max-width:100%;height:auto">')
