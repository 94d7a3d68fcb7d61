// A loss curve in an SVG: the loss against the pass (or the update), optionally on a
// log scale. Small (beside the circuit, for repeated updates) it writes its first and
// last values at the ends; with `axes` (the training panel) it has labelled axes with
// ticks and a marker at one pass (the flight recorder's). Redrawn only when the numbers
// change.

import { num } from "./format.js";
import { el } from "./svg.js";

function finite(x) {
  return typeof x === "number" && Number.isFinite(x);
}

// Round numbers between lo and hi, about `count` of them.
export function ticks(lo, hi, count = 5) {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= count) || step * 10;
  const out = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9 * span; v += nice) out.push(v);
  return out;
}

// A tick's text: 3 significant digits, a real minus, big and small numbers as powers.
function tickText(v) {
  if (v === 0) return "0";
  return num(Number(v.toPrecision(3)));
}

// points: [[x, loss], ...]; options: { log, title, axes: {x, y} (their names), marker }.
export function drawLoss(svg, points, options = {}) {
  const key = JSON.stringify([points.length, points[0], points[points.length - 1], options.log,
                              options.title, options.axes, options.marker, svg.clientWidth]);
  if (svg.dataset.key === key) return;
  svg.dataset.key = key;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const width = Number(svg.getAttribute("width")) || svg.clientWidth || 240;
  const height = Number(svg.getAttribute("height")) || svg.clientHeight || 80;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  if (options.title) el("title", {}, svg).textContent = options.title;
  const good = points.filter(([, y]) => finite(y) && (!options.log || y > 0));
  if (!good.length) return;
  const f = options.log ? Math.log10 : (y) => y;
  const xs = good.map(([x]) => x);
  const ys = good.map(([, y]) => f(y));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (y1 - y0 < 1e-12) { y0 -= 0.5; y1 += 0.5; }
  const axes = options.axes;
  const pad = axes ? { left: 52, right: 10, top: 8, bottom: 32 } : { left: 4, right: 4, top: 14, bottom: 14 };
  const sx = (x) => pad.left + (x1 > x0 ? ((x - x0) / (x1 - x0)) : 0.5) * (width - pad.left - pad.right);
  const sy = (y) => pad.top + (1 - (y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  if (axes) drawAxes(svg, { x0, x1, y0, y1, sx, sy, pad, width, height, log: options.log, axes });
  else el("rect", { class: "loss-frame", x: 0.5, y: 0.5, width: width - 1, height: height - 1, rx: 4 }, svg);
  const d = good.map(([x], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join("");
  el("path", { class: "loss-line", d }, svg);
  if (axes) {
    drawMarker(svg, good, options.marker, { sx, sy, f, pad, height });
    return;
  }
  for (const [i, anchor] of [[0, "start"], [good.length - 1, "end"]]) {
    el("circle", { class: "loss-dot", cx: sx(xs[i]), cy: sy(ys[i]), r: 2.5 }, svg);
    if (i === 0 && good.length === 1 && anchor === "end") continue;
    const label = el("text", { class: "loss-label", x: anchor === "start" ? pad.left : width - pad.right,
                               y: i === 0 ? 11 : height - 3, "text-anchor": anchor }, svg);
    label.textContent = num(good[i][1]);
  }
}

function drawAxes(svg, { x0, x1, y0, y1, sx, sy, pad, width, height, log, axes }) {
  const g = el("g", { class: "plot-axes" }, svg);
  const bottom = height - pad.bottom;
  el("line", { class: "plot-frame", x1: pad.left, y1: bottom, x2: width - pad.right, y2: bottom }, g);
  el("line", { class: "plot-frame", x1: pad.left, y1: pad.top, x2: pad.left, y2: bottom }, g);
  const xticks = x1 > x0 ? ticks(x0, x1, 4).filter((v) => Number.isInteger(v) || x1 - x0 < 4) : [x0];
  for (const v of xticks) {
    el("line", { class: "plot-frame", x1: sx(v), y1: bottom, x2: sx(v), y2: bottom + 4 }, g);
    const edge = sx(v) > width - pad.right - 16 ? "end" : "middle"; // the last one stays inside
    el("text", { class: "plot-tick", x: Math.min(sx(v), width - 2), y: bottom + 14, "text-anchor": edge }, g)
      .textContent = tickText(v);
  }
  // log scale: the powers of ten between (at least the two ends)
  let yticks = log ? ticks(Math.floor(y0), Math.ceil(y1), 4).filter((v) => Number.isInteger(v))
    : ticks(y0, y1, 4);
  yticks = yticks.filter((v) => v >= y0 - 1e-9 && v <= y1 + 1e-9);
  if (!yticks.length) yticks = [y0, y1];
  for (const v of yticks) {
    el("line", { class: "plot-grid", x1: pad.left - 4, y1: sy(v), x2: width - pad.right, y2: sy(v) }, g);
    el("text", { class: "plot-tick", x: pad.left - 6, y: sy(v) + 3, "text-anchor": "end" }, g)
      .textContent = tickText(log ? 10 ** v : v);
  }
  el("text", { class: "plot-axis-name", x: (pad.left + width - pad.right) / 2, y: height - 3,
               "text-anchor": "middle" }, g).textContent = axes.x;
  el("text", { class: "plot-axis-name", x: 11, y: (pad.top + bottom) / 2, "text-anchor": "middle",
               transform: `rotate(-90 11 ${(pad.top + bottom) / 2})` }, g).textContent = axes.y;
}

// The flight recorder's pass: a line across the plot and the loss there.
function drawMarker(svg, good, pass, { sx, sy, f, pad, height }) {
  if (pass === undefined || pass === null) return;
  let nearest = good[0];
  for (const p of good) if (Math.abs(p[0] - pass) < Math.abs(nearest[0] - pass)) nearest = p;
  el("line", { class: "loss-marker", x1: sx(pass), y1: pad.top, x2: sx(pass), y2: height - pad.bottom }, svg);
  el("circle", { class: "loss-dot", cx: sx(nearest[0]), cy: sy(f(nearest[1])), r: 3 }, svg);
}
