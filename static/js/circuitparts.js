// The elements of one node and one wire of the circuit, and how they show a step.
//
// They come in two levels of detail: SHAPES (a gate's circle, an input's box, a wire's
// path) and DETAIL (every text as well: the symbol, the name, the numbers, the marks and
// tooltips, the ± handle, a tensor's numbers). A small circuit makes all of them at
// DETAIL at once; a big one makes them as the view comes near (circuit.js). Either way a
// node's <g> is there from the start, its class and accessible name kept up to date.
//
// `view`: a node's record (circuit.js `build`), `edge`: a wire's. `circuit`: the
// CircuitView, for the layers, the meter, the handlers and what was last shown
// (`circuit.shown`: the step's state and the marks on it).

import { LEAF_H, LEAF_W, R } from "./arrange.js";
import { brief, full, label } from "./format.js";
import { el } from "./svg.js";
import { drawTensor } from "./tensorview.js";
import { pathThrough } from "./wires.js";

export const SHAPES = 1;
export const DETAIL = 2;

export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    const text = String(v);
    if (node.getAttribute(k) !== text) node.setAttribute(k, text);
  }
}

function toggle(node, cls, on) {
  if (node.classList.contains(cls) !== on) node.classList.toggle(cls, on);
}

const spot = ([x, y], p = { x: 0, y: 0 }) => ({ x: (x - p.x).toFixed(1), y: (y - p.y).toFixed(1) });

// -- making --------------------------------------------------------------------

// The node's parts up to `level`, after those it has. `lines`: the spots of its lines
// (an input's gradient sum, its updated value), or null to leave them out (a big
// circuit found no free place for them).
export function makeNode(circuit, view, level, lines = []) {
  const { g, kind, node } = view;
  if (level >= SHAPES && !view.shape) {
    view.shape = kind === "gate" ? el("circle", { r: R, class: "shape" }, g)
      : el("rect", { x: -LEAF_W, y: -LEAF_H, width: 2 * LEAF_W, height: 2 * LEAF_H, rx: 8, class: "shape" }, g);
    if (view.bare) placeNode(view, []);
  }
  if (level < DETAIL || view.detailed) return;
  view.detailed = true;
  const text = el("text", { class: "symbol", "text-anchor": "middle", dy: "0.35em" }, g);
  text.textContent = view.symbol;
  if (kind === "gate") fitSymbol(circuit, text, node.label);
  if (kind === "gate" && node.name) {
    const name = el("text", { class: "node-name", "text-anchor": "middle", y: -R - 8 }, g);
    name.textContent = node.name;
  }
  // a small circuit has every text, empty while there is nothing to show; a big one
  // only those that can show something
  const all = !circuit.lazy;
  const placed = lines !== null;
  view.grad = placed && (all || view.showGrad) ? el("text", { class: "grad node-grad", "text-anchor": "middle" }, g)
    : null;
  view.fresh = placed && view.freshLine ? el("text", { class: "node-new", "text-anchor": "middle" }, g) : null;
  view.title = el("title", {}, g);
  if (view.badge) {
    const y = kind === "gate" ? -R - (node.name ? 22 : 8) : -21;
    el("text", { class: "shape-badge", "text-anchor": "middle", y }, g).textContent = view.badge;
  }
  view.warn = all || (node.warnings && node.warnings.length)
    ? el("text", { class: "warn-mark", x: R - 2, y: -R + 6, "text-anchor": "middle" }, g) : null;
  view.check = kind === "input"
    ? el("text", { class: "check-mark", x: -R - 12, y: 5, "text-anchor": "middle" }, g) : null;
  view.checkTitle = view.check ? el("title", {}, view.check) : null;
  view.handle = view.handleFor ? makeHandle(circuit, view.handleFor) : null;
  view.tensor = view.p.view ? el("g", { class: "tensor-view", "data-id": view.id }, circuit.overlay) : null;
  view.tensorKey = "";
  view.lines = (view.lineKinds || []).map((k) => (k === "nodeGrad" ? view.grad : view.fresh));
  placeNode(view, lines || []);
}

// Where the node and its parts go: `view.p`, and its lines at `lines` (drawing coordinates).
// A big circuit's node not made in detail (`bare`) is its shape alone, drawn in place with
// no transform of its own: a transform each for thousands of nodes cost the frame after
// every step as much again as the rest of it.
export function placeNode(view, lines) {
  const p = view.p;
  if (view.bare && !view.detailed) {
    view.g.removeAttribute("transform");
    if (view.shape) shapeAt(view, p);
    return;
  }
  if (view.bare && view.shape) shapeAt(view, { x: 0, y: 0 });
  setAttrs(view.g, { transform: `translate(${p.x},${p.y})` });
  if (view.handle) setAttrs(view.handle, { transform: `translate(${p.x + R - 2},${p.y + R - 2})` });
  if (view.tensor) setAttrs(view.tensor, { transform: `translate(${p.x + p.view.x},${p.y + p.view.y})` });
  (view.lines || []).forEach((text, k) => {
    if (text && lines[k]) setAttrs(text, spot(lines[k], p));
  });
}

// The node's parts taken away, or all but its shape (its <g> stays, with its class and name).
export function unmakeNode(view, keepShape = false) {
  if (!view.shape && !view.detailed) return; // nothing made
  for (const child of [...view.g.childNodes]) if (!(keepShape && child === view.shape)) child.remove();
  if (view.handle) view.handle.remove();
  if (view.tensor) view.tensor.remove();
  Object.assign(view, { shape: keepShape ? view.shape : null, detailed: false, grad: null, fresh: null, title: null,
                        warn: null, check: null, checkTitle: null, handle: null, tensor: null, lines: [] });
  if (keepShape) placeNode(view, []);
}

// A node's shape centred on `p` (its <g>'s origin, or the drawing's point).
function shapeAt(view, p) {
  if (view.kind === "gate") setAttrs(view.shape, { cx: p.x, cy: p.y });
  else setAttrs(view.shape, { x: p.x - LEAF_W, y: p.y - LEAF_H });
}

// A gate's symbol inside its circle: a long one smaller, or on two lines ("max pool").
function fitSymbol(circuit, text, label) {
  const room = 2 * R - 6;
  const w = circuit.meter("gateSymbol", label).w;
  if (w <= room) return;
  const words = label.split(" ");
  if (words.length === 2) {
    text.textContent = "";
    text.classList.add("two-lines");
    el("tspan", { x: 0, dy: "-0.2em" }, text).textContent = words[0];
    el("tspan", { x: 0, dy: "1.05em" }, text).textContent = words[1];
    return;
  }
  text.classList.add(w * 12 / 15 <= room ? "small" : w * 10 / 15 <= room ? "smaller" : "smallest");
}

// A small ± button on a composite gate (expand it in place) and on the last primitive
// of an expanded one (collapse it again).
function makeHandle(circuit, { origin, expand, label: gate }) {
  // not a tab stop of its own: the circuit is one; + and − on the focused gate press it
  const g = el("g", { class: "gate-handle", tabindex: -1, role: "button", "data-origin": origin }, circuit.overlay);
  el("circle", { r: 8 }, g);
  el("text", { "text-anchor": "middle", dy: "0.35em" }, g).textContent = expand ? "+" : "−";
  const label = circuit.handlers.handleLabel(expand, gate);
  g.setAttribute("aria-label", label);
  el("title", {}, g).textContent = label;
  const activate = (e) => {
    e.stopPropagation();
    circuit.handlers.onToggleExpand(origin, expand);
  };
  g.addEventListener("click", activate);
  g.addEventListener("pointerdown", (e) => e.stopPropagation());
  g.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); activate(e); }
  });
  return g;
}

// The wire's parts up to `level`. `labels`: the spots of its value and gradient ({value,
// grad}, null for one that has none: a big circuit leaves out a label with no free place).
export function makeEdge(circuit, edge, level, labels) {
  if (level >= SHAPES && !edge.g) {
    edge.g = el("g", { class: edge.to ? "edge" : "edge output-edge", "data-from": edge.from, "data-to": edge.to || "" },
                circuit.edgeLayer);
    edge.path = el("path", { class: "wire" }, edge.g);
    if (edge.points) edge.path.setAttribute("d", pathThrough(edge.points));
  }
  if (level < DETAIL || edge.detailed) return;
  edge.detailed = true;
  const all = !circuit.lazy; // as a node's texts
  if (all || labels.value) {
    edge.value = el("text", { class: "value", "text-anchor": "middle" }, edge.g);
    edge.valueTitle = el("title", {}, edge.value);
  }
  if (all || labels.grad) {
    edge.grad = el("text", { class: "grad", "text-anchor": "middle" }, edge.g);
    edge.gradTitle = el("title", {}, edge.grad);
  }
  if (labels) placeEdge(edge, edge.points, labels);
}

// Where the wire runs and its labels sit.
export function placeEdge(edge, points, labels) {
  edge.points = points;
  if (edge.path) setAttrs(edge.path, { d: pathThrough(points) });
  if (labels.value && edge.value) setAttrs(edge.value, spot(labels.value));
  if (labels.grad && edge.grad) setAttrs(edge.grad, spot(labels.grad));
}

export function unmakeEdge(edge) {
  if (edge.g) edge.g.remove();
  Object.assign(edge, { g: null, path: null, detailed: false, value: null, valueTitle: null, grad: null,
                        gradTitle: null });
}

// -- showing a step ------------------------------------------------------------

// The wire's numbers visible at this step, and whether it is the step's.
export function renderEdge(circuit, edge) {
  if (!edge.g) return;
  const { state } = circuit.shown;
  toggle(edge.g, "active", Boolean(state.current && state.current.kind === "edge" && state.current.key === edge.key));
  if (!edge.detailed) return;
  const source = circuit.byId.get(edge.from);
  const shown = state.shown.has(edge.from);
  // a tensor's numbers are under its node: its wire stays clear of them
  if (edge.value) {
    setText(edge.value, shown && !edge.quiet ? label(source.value, source.shape) : "");
    setText(edge.valueTitle, shown ? full(source.value) : "");
  }
  const g = edge.key ? state.edgeGrads.get(edge.key) : state.grads.get(edge.from);
  const has = g !== undefined;
  if (edge.grad) {
    setText(edge.grad, has && !edge.quiet ? label(g, source.shape) : "");
    setText(edge.gradTitle, has ? full(g) : "");
  }
}

// The node's numbers, classes (computed, current, hovered, …), marks and accessible name
// at this step.
export function renderNode(circuit, view) {
  const { state, focus, hovered, names, bug, checks, routes } = circuit.shown;
  const { id, node } = view;
  const shown = state.shown.has(id);
  const g = state.grads.get(id);
  if (view.grad) setText(view.grad, view.showGrad && g !== undefined ? label(g, node.shape) : "");
  if (view.fresh) {
    const next = state.updated ? state.updated.get(id) : undefined;
    setText(view.fresh, next === undefined ? "" : `→ ${label(next, node.shape)}`);
  }
  toggle(view.g, "computed", shown);
  toggle(view.g, "current", focus === id);
  toggle(view.g, "hl", hovered.has(id));
  toggle(view.g, "bug", bug.has(id));
  const warned = shown && node.warnings && node.warnings.length > 0;
  toggle(view.g, "warn", warned);
  if (view.warn) setText(view.warn, warned ? "⚠" : "");
  const title = [
    names(node),
    shown ? `= ${brief(node.value, node.shape)}` : "",
    g !== undefined ? `∂ = ${brief(g, node.shape)}` : "",
    warned ? node.warnings.join("; ") : "",
  ].filter(Boolean).join("  ");
  if (view.title) setText(view.title, title);
  if (view.g.getAttribute("aria-label") !== title) view.g.setAttribute("aria-label", title);
  renderTensor(circuit, view, shown, g, routes ? routes.get(id) : null);
  if (view.check) {
    const entry = checks && node.name ? checks[node.name] : null;
    // class labels take no gradient: nothing to tick or cross
    const done = entry && entry.ok !== null && state.k === state.total;
    setText(view.check, done ? (entry.ok ? "✓" : "✗") : "");
    setText(view.checkTitle, done ? circuit.handlers.checkText(entry) : "");
    toggle(view.check, "bad", Boolean(done && !entry.ok));
  }
}

// The node's numbers under it, once the forward pass has computed them; the
// gradient beside them once the backward pass reaches the node. A parameter being
// trained shows the run's latest value instead, and no gradient.
function renderTensor(circuit, view, shown, grad, marks) {
  const live = circuit.live ? circuit.live.get(view.id) : undefined;
  toggle(view.g, "live", live !== undefined);
  if (!view.tensor) return;
  const value = live !== undefined ? live : view.node.value;
  const g = live !== undefined ? undefined : grad;
  const key = shown || live !== undefined ? JSON.stringify([value, g ?? null, marks ? [...marks] : null]) : "";
  if (key === view.tensorKey) return;
  view.tensorKey = key;
  drawTensor(view.tensor, view.p.view, shown || live !== undefined ? value : undefined, g, marks);
}
