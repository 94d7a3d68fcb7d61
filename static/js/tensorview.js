// A tensor node's numbers under the node: its value (green) and, once the backward
// pass reaches it, its gradient (red), side by side. Small tensors are a grid of
// numbers; bigger ones a colour map (each cell a block of elements past 32 per
// side) with the numbers on hover. The server's layout says which and how big
// (`layout.nodes[id].view`, app/layout/views.py), and left room for it.

import { full, matrixOf, num } from "./format.js";
import { el } from "./svg.js";

const FONT = 11; // px of a grid's numbers unless the view says (app/layout/views.py)
const MONO_EM = 0.6; // a monospace character's width, em
const NOISE = 1e-12;

function finite(x) {
  return typeof x === "number" && Number.isFinite(x);
}

// Cells of a colour map: each the mean of its block of elements, with its range.
function bins(matrix, view) {
  const [cr, cc] = view.cells;
  const out = [];
  for (let i = 0; i < cr; i++) {
    const r0 = Math.floor((i * view.rows) / cr);
    const r1 = Math.floor(((i + 1) * view.rows) / cr);
    const row = [];
    for (let j = 0; j < cc; j++) {
      const c0 = Math.floor((j * view.cols) / cc);
      const c1 = Math.floor(((j + 1) * view.cols) / cc);
      let sum = 0;
      let n = 0;
      let lo = Infinity;
      let hi = -Infinity;
      let bad = null;
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const x = matrix[r][c];
          if (!finite(x)) { bad = x; continue; }
          sum += x; n++;
          if (x < lo) lo = x;
          if (x > hi) hi = x;
        }
      }
      row.push({ mean: bad !== null ? bad : n ? sum / n : 0, lo, hi, r0, r1, c0, c1 });
    }
    out.push(row);
  }
  return out;
}

function fill(x, scale, positive) {
  if (!finite(x)) return "#f5c518";  // NaN or infinite: the warning colour
  if (!scale) return "#ffffff";
  const t = Math.min(1, Math.abs(x) / scale);
  const [r, g, b] = x >= 0 ? positive : [70, 110, 200];
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

const COLOURS = { value: [30, 140, 60], grad: [200, 40, 40] };

// One block: the value or the gradient, at (x, 0) of the view's box.
function block(parent, view, cls, value, x, marks) {
  const g = el("g", { class: `tensor-block ${cls}`, transform: `translate(${x},0)` }, parent);
  const [cw, ch] = view.cell;
  const matrix = matrixOf(value);
  if (view.kind === "grid") {
    // numbers below 1e-12 of the largest are float noise (−1.11e-17 from 0.1 + 0.2 − 0.3):
    // written as 0, exact on hover
    let largest = 0;
    for (const row of matrix) for (const x of row) if (finite(x)) largest = Math.max(largest, Math.abs(x));
    const font = view.font || FONT;
    const fits = Math.floor((cw - 4) / (font * MONO_EM)); // characters a cell holds
    matrix.forEach((row, i) => {
      row.forEach((x, j) => {
        const mark = marks && marks.has(`${i},${j}`);
        const cell = el("g", {}, g);
        el("title", {}, cell).textContent = `[${i}, ${j}] = ${full(x)}`;
        el("rect", { class: `tensor-cell${mark ? " marked" : ""}`, x: j * cw, y: i * ch,
                     width: cw, height: ch }, cell);
        const text = el("text", { class: `tensor-num ${cls}`, x: j * cw + cw / 2,
                                  y: i * ch + ch - 4, "text-anchor": "middle" }, cell);
        text.textContent = finite(x) && Math.abs(x) < NOISE * largest ? "0" : num(x);
        if (font > FONT) text.classList.add("big");
        if (text.textContent.length > fits) text.classList.add("tight");  // −1.23e-5 in a small cell
      });
    });
    return g;
  }
  const cells = bins(matrix, view);
  let scale = 0;
  for (const row of cells) for (const c of row) if (finite(c.mean)) scale = Math.max(scale, Math.abs(c.mean));
  cells.forEach((row, i) => {
    row.forEach((c, j) => {
      const rect = el("rect", { class: "tensor-map-cell", x: j * cw, y: i * ch, width: cw, height: ch,
                                fill: fill(c.mean, scale, COLOURS[cls]) }, g);
      const one = c.r1 - c.r0 === 1 && c.c1 - c.c0 === 1;
      const span = (a, b) => (b - a === 1 ? `${a}` : `${a}–${b - 1}`);
      el("title", {}, rect).textContent = one
        ? `[${c.r0}, ${c.c0}] = ${full(c.mean)}`
        : `[${span(c.r0, c.r1)}, ${span(c.c0, c.c1)}]: mean ${num(c.mean)} (${num(c.lo)} … ${num(c.hi)})`;
    });
  });
  el("rect", { class: "tensor-frame", x: 0, y: 0, width: view.cells[1] * cw, height: view.cells[0] * ch }, g);
  return g;
}

// Draw (or clear) a node's view into `group`; `marks` are "i,j" cells to outline
// (the cells a pooling step routes gradient to).
export function drawTensor(group, view, value, grad, marks = null) {
  while (group.firstChild) group.removeChild(group.firstChild);
  if (!view || value === undefined) return;
  const width = view.cells[1] * view.cell[0];
  const drawn = grad === undefined ? width : view.w;
  el("rect", { class: "tensor-bg", x: -3, y: -3, width: drawn + 6, height: view.h + 6, rx: 3 }, group);
  block(group, view, "value", value, 0, null);
  if (grad !== undefined) block(group, view, "grad", grad, width + (view.w - 2 * width), marks);
}
