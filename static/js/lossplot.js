// A loss curve in an SVG: the loss against the pass (or the update), optionally on a
// log scale, with its first and last values written at the ends. Used beside the
// circuit for repeated updates and by the training panel; redrawn only when the
// numbers change.

import { num } from "./format.js";
import { el } from "./svg.js";

function finite(x) {
  return typeof x === "number" && Number.isFinite(x);
}

// points: [[x, loss], ...]; options: { log, title }.
export function drawLoss(svg, points, options = {}) {
  const key = JSON.stringify([points.length, points[0], points[points.length - 1], options.log,
                              options.title, svg.clientWidth]);
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
  const pad = { left: 4, right: 4, top: 14, bottom: 14 };
  const sx = (x) => pad.left + (x1 > x0 ? ((x - x0) / (x1 - x0)) : 0.5) * (width - pad.left - pad.right);
  const sy = (y) => pad.top + (1 - (y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  el("rect", { class: "loss-frame", x: 0.5, y: 0.5, width: width - 1, height: height - 1, rx: 4 }, svg);
  const d = good.map(([x], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join("");
  el("path", { class: "loss-line", d }, svg);
  for (const [i, anchor] of [[0, "start"], [good.length - 1, "end"]]) {
    el("circle", { class: "loss-dot", cx: sx(xs[i]), cy: sy(ys[i]), r: 2.5 }, svg);
    if (i === 0 && good.length === 1 && anchor === "end") continue;
    const label = el("text", { class: "loss-label", x: anchor === "start" ? pad.left : width - pad.right,
                               y: i === 0 ? 11 : height - 3, "text-anchor": anchor }, svg);
    label.textContent = num(good[i][1]);
  }
}
