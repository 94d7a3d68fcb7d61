// The nudge plot: the output against one input, with the tangent at the current value.
// Its slope is the gradient: how much a small nudge here moves the result there.

import { el } from "./svg.js";

const W = 520;
const H = 260;
const PAD = { left: 56, right: 16, top: 30, bottom: 34 }; // the title sits above the frame

function finite(v) {
  return typeof v === "number" && Number.isFinite(v);
}

function ticks(lo, hi, count = 5) {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= count) || step * 10;
  const out = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9 * span; v += nice) out.push(v);
  return out;
}

// The part of the segment (x1, y1)–(x2, y2) inside the box, or null (Liang–Barsky).
function clip([x1, y1, x2, y2], { left, top, right, bottom }) {
  const dx = x2 - x1;
  const dy = y2 - y1;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [[-dx, x1 - left], [dx, right - x1], [-dy, y1 - top], [dy, bottom - y1]]) {
    if (p === 0) {
      if (q < 0) return null;
    } else {
      const r = q / p;
      if (p < 0) t0 = Math.max(t0, r);
      else t1 = Math.min(t1, r);
    }
  }
  if (t0 > t1) return null;
  return [x1 + t0 * dx, y1 + t0 * dy, x1 + t1 * dx, y1 + t1 * dy];
}

function fmt(v) {
  return String(Number(v.toPrecision(3))).replace(/^-/, "−");
}

// Built once; `draw` only changes attributes and the few texts.
export class NudgePlot {
  constructor(svg) {
    this.svg = svg;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    this.axes = el("g", { class: "plot-axes" }, svg);
    this.curve = el("polyline", { class: "plot-curve", fill: "none" }, svg);
    this.tangent = el("line", { class: "plot-tangent" }, svg);
    this.point = el("circle", { class: "plot-point", r: 5 }, svg);
    this.label = el("text", { class: "plot-label", x: PAD.left, y: PAD.top - 10 }, svg);
    this.xName = el("text", { class: "plot-axis-name", x: W - PAD.right, y: H - 4, "text-anchor": "end" }, svg);
  }

  draw(sweep, outName, slopeText) {
    const pairs = sweep.xs.map((x, i) => [x, sweep.ys[i]]).filter(([x, y]) => finite(x) && finite(y));
    if (!pairs.length) {
      this.curve.setAttribute("points", "");
      return;
    }
    const xs = pairs.map((p) => p[0]);
    const ys = pairs.map((p) => p[1]);
    const x0 = Math.min(...xs);
    const x1 = Math.max(...xs);
    let y0 = Math.min(...ys);
    let y1 = Math.max(...ys);
    if (y1 - y0 < 1e-12) { y0 -= 1; y1 += 1; }
    const pad = (y1 - y0) * 0.08;
    y0 -= pad;
    y1 += pad;
    const sx = (x) => PAD.left + ((x - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
    const sy = (y) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
    this.curve.setAttribute("points", pairs.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" "));

    while (this.axes.firstChild) this.axes.removeChild(this.axes.firstChild);
    el("line", { x1: PAD.left, y1: H - PAD.bottom, x2: W - PAD.right, y2: H - PAD.bottom, class: "plot-frame" }, this.axes);
    el("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: H - PAD.bottom, class: "plot-frame" }, this.axes);
    for (const v of ticks(x0, x1)) {
      el("line", { x1: sx(v), y1: H - PAD.bottom, x2: sx(v), y2: H - PAD.bottom + 4, class: "plot-frame" }, this.axes);
      el("text", { x: sx(v), y: H - PAD.bottom + 16, "text-anchor": "middle", class: "plot-tick" }, this.axes).textContent = fmt(v);
    }
    for (const v of ticks(y0, y1, 4)) {
      el("line", { x1: PAD.left - 4, y1: sy(v), x2: W - PAD.right, y2: sy(v), class: "plot-grid" }, this.axes);
      el("text", { x: PAD.left - 7, y: sy(v) + 4, "text-anchor": "end", class: "plot-tick" }, this.axes).textContent = fmt(v);
    }

    const ok = finite(sweep.value) && finite(sweep.output);
    this.point.setAttribute("visibility", ok ? "visible" : "hidden");
    this.tangent.setAttribute("visibility", ok && finite(sweep.grad) ? "visible" : "hidden");
    if (ok) {
      this.point.setAttribute("cx", sx(sweep.value).toFixed(1));
      this.point.setAttribute("cy", sy(sweep.output).toFixed(1));
    }
    if (ok && finite(sweep.grad)) {
      // the tangent across a quarter of the range on each side of the point
      const half = (x1 - x0) / 4;
      const a = sweep.value - half;
      const b = sweep.value + half;
      // cut to the frame: a steep tangent ends at its edge, never over the title
      const seg = clip([sx(a), sy(sweep.output - half * sweep.grad), sx(b), sy(sweep.output + half * sweep.grad)],
                       { left: PAD.left, top: PAD.top, right: W - PAD.right, bottom: H - PAD.bottom });
      if (!seg) this.tangent.setAttribute("visibility", "hidden");
      else ["x1", "y1", "x2", "y2"].forEach((k, i) => this.tangent.setAttribute(k, seg[i].toFixed(1)));
    }
    this.label.textContent = slopeText;
    this.xName.textContent = sweep.input;
    this.svg.setAttribute("aria-label", `${outName} against ${sweep.input}. ${slopeText}`);
  }
}
