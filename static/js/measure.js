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
  const measured = {}; // kind -> text -> its {w, top, h}, one object each (read, never changed)
  let font = null;
  // {w, top, h}: the width of `text`, and its box's top (from the baseline) and height
  return (kind, text) => {
    let byText = measured[kind];
    if (!byText) {
      byText = new Map();
      measured[kind] = byText;
    }
    let m = byText.get(text);
    if (m === undefined) {
      if (font !== fonts[kind]) {
        font = fonts[kind];
        ctx.font = font;
      }
      m = { w: ctx.measureText(text).width, top: metrics[kind].top, h: metrics[kind].h };
      byText.set(text, m);
    }
    return m;
  };
}
