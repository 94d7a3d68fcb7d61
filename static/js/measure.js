// How big a piece of circuit text is drawn, without laying the drawing out: the width
// from a canvas with the same font (remembered per font and text), the height and the
// baseline from one sample of each kind of text in the SVG itself.

import { el } from "./svg.js";

// Each kind of text the placement needs, as the drawing nests it (so the page's CSS
// gives the sample the same font as the real thing).
const KINDS = {
  value: ["g", "edge", "text", "value"],
  grad: ["g", "edge", "text", "grad"],
  nodeGrad: ["g", "node input", "text", "grad node-grad"],
  fresh: ["g", "node input", "text", "node-new"],
  name: ["g", "node gate", "text", "node-name"],
  badge: ["g", "node gate", "text", "shape-badge"],
  gateSymbol: ["g", "node gate", "text", "symbol"],
  leafSymbol: ["g", "node input", "text", "symbol"],
  check: ["g", "node input", "text", "check-mark"],
  warn: ["g", "node gate", "text", "warn-mark"],
  handle: ["g", "gate-handle", "text", ""],
};

export function createMeter(svg) {
  const probe = el("g", { class: "measure-probe", "aria-hidden": "true" }, svg);
  const fonts = {};
  const metrics = {};
  for (const [kind, [outer, outerClass, inner, innerClass]] of Object.entries(KINDS)) {
    const g = el(outer, { class: outerClass }, probe);
    const text = el(inner, innerClass ? { class: innerClass } : {}, g);
    text.textContent = "0";
    const style = getComputedStyle(text);
    fonts[kind] = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    metrics[kind] = text;
  }
  // one layout for all the samples
  for (const [kind, text] of Object.entries(metrics)) {
    const box = text.getBBox();
    metrics[kind] = { top: box.y, h: box.height };
  }
  probe.remove();
  const ctx = document.createElement("canvas").getContext("2d");
  const widths = new Map();
  // {w, top, h}: the width of `text`, and its box's top (from the baseline) and height
  return (kind, text) => {
    const key = `${kind}\u0000${text}`;
    let w = widths.get(key);
    if (w === undefined) {
      ctx.font = fonts[kind];
      w = ctx.measureText(text).width;
      widths.set(key, w);
    }
    return { w, top: metrics[kind].top, h: metrics[kind].h };
  };
}
