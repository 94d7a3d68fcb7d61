// The circuit as SVG: built once per graph, then only attributes and text change.
//
// cs231n's convention: each wire shows its source's value above it (green) and, once
// the backward pass has sent a gradient along it, that gradient below it (red, italic).
// An input used more than once also shows the sum of its gradients beside it. Where
// each of these goes is worked out once per answer, from the texts of the end of the
// pass (arrange.js), so no number lands on another and nothing moves while stepping.

import { arrange, LEAF_H, LEAF_W, R } from "./arrange.js";
import { brief, full, label, shapeText } from "./format.js";
import { createMeter } from "./measure.js";
import { drawNeuronMaps } from "./neuronmaps.js";
import { timelineOf } from "./selectors.js";
import { el } from "./svg.js";
import { drawTensor } from "./tensorview.js";
import { edgeKey, stateAt } from "./timeline.js";
import { pathThrough } from "./wires.js";
import { Viewport } from "./zoom.js";

const SOFT_WIRES_UP_TO = 200; // wires up to which labels also keep off other wires

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setAttrs(node, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    const text = String(v);
    if (node.getAttribute(k) !== text) node.setAttribute(k, text);
  }
}

function toggle(node, cls, on) {
  if (node.classList.contains(cls) !== on) node.classList.toggle(cls, on);
}

// Node ids, ops and inputs: if these match, a new response can reuse the drawing.
export function structureKey(body) {
  return body.nodes.map((n) => `${n.id}:${n.op}:${n.inputs.join(",")}:${n.shape.join("x")}`).join("|");
}

// The texts a label will show by the end of the pass (the widest an input's running
// sum of gradients shows on the way), which the placement makes room for.
function endTexts(body) {
  const timeline = timelineOf(body);
  const end = stateAt(timeline, timeline.items.length);
  const sums = new Map();
  for (const item of timeline.items) {
    if (item.kind !== "edge" || item.edge.sum === undefined) continue;
    const text = label(item.edge.sum, timeline.nodes.get(item.edge.input).shape);
    if (text.length >= (sums.get(item.edge.input) || "").length) sums.set(item.edge.input, text);
  }
  return { end, sums };
}

export class CircuitView {
  constructor(svg, handlers) {
    this.svg = svg;
    this.handlers = handlers; // { onNodeHover(id|null), onToggleExpand, handleLabel, checkText }
    this.key = null;
    this.viewport = new Viewport(svg);
    this.meter = null;
    this.pos = new Map();
    // The circuit is one tab stop; ↑ and ↓ move between its gates in the order drawn
    // (← and → stay the stepper's, as everywhere on the page).
    svg.addEventListener("keydown", (e) => {
      if (e.key === "+" || e.key === "-") {  // a composite gate's ± handle, from its gate
        const node = e.target.closest ? e.target.closest(".node") : null;
        const view = node && this.nodeViews ? this.nodeViews.get(node.dataset.id) : null;
        if (view && view.handle) { e.preventDefault(); view.handle.dispatchEvent(new MouseEvent("click")); }
        return;
      }
      if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
      const nodes = [...svg.querySelectorAll(".node")];
      if (!nodes.length) return;
      e.preventDefault();
      const at = nodes.indexOf(e.target.closest ? e.target.closest(".node") : null);
      const next = at < 0 ? 0 : (at + (e.key === "ArrowDown" ? 1 : -1) + nodes.length) % nodes.length;
      nodes[next].focus();
    });
    svg.addEventListener("focusin", (e) => {
      const node = e.target.closest && e.target.closest(".node");
      if (!node) return;
      for (const other of svg.querySelectorAll('.node[tabindex="0"]')) other.setAttribute("tabindex", "-1");
      node.setAttribute("tabindex", "0");
    });
  }

  // Build the drawing for a response (or keep it, when only numbers changed), and place
  // its labels for these numbers.
  setGraph(body) {
    const key = structureKey(body) + JSON.stringify(body.layout ? [body.layout.width, body.layout.height] : []);
    const fresh = key !== this.key;
    this.body = body;
    this.byId = new Map(body.nodes.map((n) => [n.id, n]));
    if (fresh) {
      this.key = key;
      this.extra = null;
      this.build(body);
    }
    if (fresh || this.arranged !== body) this.arrange(body);
    if (fresh) this.viewport.initial(this.pos.get(body.output));
    return fresh;
  }

  build(body) {
    const svg = this.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (!this.meter) this.meter = createMeter(svg);
    const layout = body.layout; // the server always lays the circuit out
    this.layout = layout;
    const root = el("g", { class: "viewport" }, svg);
    this.root = root;
    const edgeLayer = el("g", { class: "edges" }, root);
    const nodeLayer = el("g", { class: "nodes" }, root);
    this.overlay = el("g", { class: "overlays" }, root);
    this.edges = [];
    this.nodeViews = new Map();
    this.groupTop = new Map(); // origin id -> the last primitive of an expanded gate
    for (const node of body.nodes) {
      if (node.expanded_from) this.groupTop.set(node.origin, node.id);
    }
    const routes = new Map();
    for (const route of layout.edges || []) {
      const k = `${route.from}>${route.to}`;
      if (!routes.has(k)) routes.set(k, []);
      routes.get(k).push(route.points);
    }
    const used = new Map();
    this.uses = new Map();
    for (const node of body.nodes) {
      for (const id of node.inputs) this.uses.set(id, (this.uses.get(id) || 0) + 1);
    }
    for (const node of body.nodes) {
      node.inputs.forEach((inputId, position) => {
        const k = `${inputId}>${node.id}`;
        const seen = used.get(k) || 0;
        used.set(k, seen + 1);
        const given = (routes.get(k) || [])[seen];
        const a = layout.nodes[inputId];
        const b = layout.nodes[node.id];
        const route = given && given.length >= 2 ? given : [[a.x, a.y], [b.x, b.y]];
        this.edges.push(this.makeEdge(edgeLayer, inputId, node.id, position, route, seen));
      });
    }
    this.edges.push(this.makeEdge(edgeLayer, body.output, null, 0, null, 0));
    for (const node of body.nodes) this.nodeViews.set(node.id, this.makeNode(nodeLayer, node, layout.nodes[node.id]));
  }

  makeEdge(layer, from, to, position, route, seen) {
    const g = el("g", { class: to ? "edge" : "edge output-edge", "data-from": from, "data-to": to || "" }, layer);
    const path = el("path", { class: "wire" }, g);
    const value = el("text", { class: "value", "text-anchor": "middle" }, g);
    const valueTitle = el("title", {}, value);
    const grad = el("text", { class: "grad", "text-anchor": "middle" }, g);
    const gradTitle = el("title", {}, grad);
    const quiet = Boolean(this.layout.nodes[from] && this.layout.nodes[from].view);
    return { g, path, from, to, route, seen, key: to ? edgeKey(from, to, position) : null, value, valueTitle,
             grad, gradTitle, quiet };
  }

  makeNode(layer, node, p) {
    const kind = node.op === "input" ? "input" : node.op === "const" ? "const" : "gate";
    const first = !this.svg.querySelector('.node[tabindex="0"]');
    const g = el("g", { class: `node ${kind}`, tabindex: first ? 0 : -1, "data-id": node.id, role: "button" }, layer);
    if (kind === "gate") el("circle", { r: R, class: "shape" }, g);
    else el("rect", { x: -LEAF_W, y: -LEAF_H, width: 2 * LEAF_W, height: 2 * LEAF_H, rx: 8, class: "shape" }, g);
    const text = el("text", { class: "symbol", "text-anchor": "middle", dy: "0.35em" }, g);
    text.textContent = kind === "gate" ? node.label : (node.name || node.label);
    if (kind === "gate") this.fitSymbol(text, node.label);
    if (kind === "gate" && node.name) {
      const name = el("text", { class: "node-name", "text-anchor": "middle", y: -R - 8 }, g);
      name.textContent = node.name;
    }
    // an input used once shows its gradient on its wire only
    const showGrad = kind === "input" && !p.view && (this.uses.get(node.id) || 0) !== 1;
    const grad = el("text", { class: "grad node-grad", "text-anchor": "middle" }, g);
    const fresh = kind === "input" && !p.view ? el("text", { class: "node-new", "text-anchor": "middle" }, g) : null;
    const title = el("title", {}, g);
    let badge = null;
    if (node.shape.length) {
      badge = el("text", { class: "shape-badge", "text-anchor": "middle", y: kind === "gate" ? -R - (node.name ? 22 : 8) : -21 }, g);
      badge.textContent = `[${shapeText(node.shape)}]`;
    }
    const warn = el("text", { class: "warn-mark", x: R - 2, y: -R + 6, "text-anchor": "middle" }, g);
    const check = kind === "input"
      ? el("text", { class: "check-mark", x: -R - 12, y: 5, "text-anchor": "middle" }, g) : null;
    const checkTitle = check ? el("title", {}, check) : null;
    const handle = this.makeHandle(node);
    const tensor = p.view ? el("g", { class: "tensor-view", "data-id": node.id }, this.overlay) : null;
    g.addEventListener("mouseenter", () => this.handlers.onNodeHover(node.id));
    g.addEventListener("mouseleave", () => this.handlers.onNodeHover(null));
    g.addEventListener("focus", () => this.handlers.onNodeHover(node.id));
    g.addEventListener("blur", () => this.handlers.onNodeHover(null));
    return { g, kind, grad, showGrad, fresh, title, warn, tensor, view: p.view, tensorKey: "", check, checkTitle,
             handle, badge: badge ? badge.textContent : null, symbol: text.textContent };
  }

  // A gate's symbol inside its circle: a long one smaller, or on two lines ("max pool").
  fitSymbol(text, label) {
    const room = 2 * R - 6;
    const w = this.meter("gateSymbol", label).w;
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
  makeHandle(node) {
    const group = node.expanded_from ? this.groupTop.get(node.origin) === node.id : false;
    if (!(node.composite || group)) return null;
    const origin = node.origin || node.id;
    const expand = !group;
    // not a tab stop of its own: the circuit is one; + and − on the focused gate press it
    const g = el("g", { class: "gate-handle", tabindex: -1, role: "button", "data-origin": origin }, this.overlay);
    el("circle", { r: 8 }, g);
    el("text", { "text-anchor": "middle", dy: "0.35em" }, g).textContent = expand ? "+" : "−";
    const label = this.handlers.handleLabel(expand, expand ? node.label : node.expanded_from);
    g.setAttribute("aria-label", label);
    el("title", {}, g).textContent = label;
    const activate = (e) => {
      e.stopPropagation();
      this.handlers.onToggleExpand(origin, expand);
    };
    g.addEventListener("click", activate);
    g.addEventListener("pointerdown", (e) => e.stopPropagation());
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); activate(e); }
    });
    return g;
  }

  // Place the nodes, wires and labels for this answer's numbers (arrange.js).
  arrange(body) {
    this.arranged = body;
    const { end, sums } = endTexts(body);
    const nodes = body.nodes.map((node) => {
      const view = this.nodeViews.get(node.id);
      const lines = [];
      if (view.showGrad && end.grads.has(node.id)) {
        lines.push({ kind: "nodeGrad", text: sums.get(node.id) || label(end.grads.get(node.id), node.shape) });
      }
      if (view.fresh && end.updated.has(node.id)) {
        lines.push({ kind: "fresh", text: `→ ${label(end.updated.get(node.id), node.shape)}` });
      }
      view.lines = lines.map((line) => (line.kind === "nodeGrad" ? view.grad : view.fresh));
      return {
        id: node.id, kind: view.kind, p: this.layout.nodes[node.id], symbol: view.symbol, badge: view.badge,
        name: view.kind === "gate" ? node.name : null, handle: Boolean(view.handle), lines,
        warned: Boolean(node.warnings && node.warnings.length),
        check: Boolean(view.check && body.gradcheck && node.name && body.gradcheck[node.name]),
      };
    });
    const edges = this.edges.map((edge) => {
      const source = this.byId.get(edge.from);
      const grad = edge.to ? end.edgeGrads.get(edge.key) : end.grads.get(edge.from);
      return {
        from: edge.from, to: edge.to, route: edge.route, seen: edge.seen,
        value: edge.quiet ? "" : label(source.value, source.shape),
        grad: edge.quiet || grad === undefined ? "" : label(grad, source.shape),
      };
    });
    const placed = arrange({ nodes, edges }, this.meter,
                           { softWires: edges.length <= SOFT_WIRES_UP_TO, start: this.extra });
    this.extra = placed.extra; // the next answer of this circuit starts from this room
    this.svg.dataset.labelMisses = String(placed.failed.length);
    this.pos = placed.pos;
    this.edges.forEach((edge, i) => {
      const { points, labels } = placed.edges[i];
      setAttrs(edge.path, { d: pathThrough(points) });
      if (labels.value) setAttrs(edge.value, { x: labels.value[0].toFixed(1), y: labels.value[1].toFixed(1) });
      if (labels.grad) setAttrs(edge.grad, { x: labels.grad[0].toFixed(1), y: labels.grad[1].toFixed(1) });
    });
    for (const [id, view] of this.nodeViews) {
      const p = placed.pos.get(id);
      setAttrs(view.g, { transform: `translate(${p.x},${p.y})` });
      if (view.handle) setAttrs(view.handle, { transform: `translate(${p.x + R - 2},${p.y + R - 2})` });
      if (view.tensor) setAttrs(view.tensor, { transform: `translate(${p.x + p.view.x},${p.y + p.view.y})` });
      const spots = placed.stacks.get(id) || [];
      view.lines.forEach((text, k) => {
        setAttrs(text, { x: (spots[k][0] - p.x).toFixed(1), y: (spots[k][1] - p.y).toFixed(1) });
      });
    }
    this.viewport.attach(this.root, placed.bounds);
  }

  // Show the numbers visible at this step; highlight the current and hovered nodes.
  // `routes`: per node id, the cells of its gradient a pooling step sends to (outlined).
  update(state, focusId, hovered, names, bug = new Set(), checks = null, routes = null) {
    const byId = this.byId;
    for (const edge of this.edges) {
      const source = byId.get(edge.from);
      const shown = state.shown.has(edge.from);
      // a tensor's numbers are under its node: its wire stays clear of them
      setText(edge.value, shown && !edge.quiet ? label(source.value, source.shape) : "");
      setText(edge.valueTitle, shown ? full(source.value) : "");
      const g = edge.key ? state.edgeGrads.get(edge.key) : state.grads.get(edge.from);
      const has = g !== undefined;
      setText(edge.grad, has && !edge.quiet ? label(g, source.shape) : "");
      setText(edge.gradTitle, has ? full(g) : "");
      toggle(edge.g, "active", state.current && state.current.kind === "edge" && state.current.key === edge.key);
    }
    for (const [id, view] of this.nodeViews) {
      const node = byId.get(id);
      const shown = state.shown.has(id);
      const g = state.grads.get(id);
      setText(view.grad, view.showGrad && g !== undefined ? label(g, node.shape) : "");
      if (view.fresh) {
        const next = state.updated ? state.updated.get(id) : undefined;
        setText(view.fresh, next === undefined ? "" : `→ ${label(next, node.shape)}`);
      }
      toggle(view.g, "computed", shown);
      toggle(view.g, "current", focusId === id);
      toggle(view.g, "hl", hovered.has(id));
      toggle(view.g, "bug", bug.has(id));
      const warned = shown && node.warnings && node.warnings.length > 0;
      toggle(view.g, "warn", warned);
      setText(view.warn, warned ? "⚠" : "");
      const title = [
        names(node),
        shown ? `= ${brief(node.value, node.shape)}` : "",
        g !== undefined ? `∂ = ${brief(g, node.shape)}` : "",
        warned ? node.warnings.join("; ") : "",
      ].filter(Boolean).join("  ");
      setText(view.title, title);
      if (view.g.getAttribute("aria-label") !== title) view.g.setAttribute("aria-label", title);
      this.renderTensor(view, node, shown, g, routes ? routes.get(id) : null);
      if (view.check) {
        const entry = checks && node.name ? checks[node.name] : null;
        // class labels take no gradient: nothing to tick or cross
        const done = entry && entry.ok !== null && state.k === state.total;
        setText(view.check, done ? (entry.ok ? "✓" : "✗") : "");
        setText(view.checkTitle, done ? this.handlers.checkText(entry) : "");
        toggle(view.check, "bad", Boolean(done && !entry.ok));
      }
    }
  }

  // Parameters being trained: node id -> the run's latest value (null: none).
  setLive(live) {
    this.live = live;
  }

  // What each hidden unit of a training run learned, beside its layer's node
  // (neuronmaps.js): `neurons` as POST /api/train answers them, or null for none.
  showNeurons(neurons, label) {
    drawNeuronMaps(this, neurons, label);
  }

  // The node's numbers under it, once the forward pass has computed them; the
  // gradient beside them once the backward pass reaches the node. A parameter being
  // trained shows the run's latest value instead, and no gradient.
  renderTensor(view, node, shown, grad, marks) {
    const live = this.live ? this.live.get(node.id) : undefined;
    toggle(view.g, "live", live !== undefined);
    if (!view.tensor) return;
    const value = live !== undefined ? live : node.value;
    const g = live !== undefined ? undefined : grad;
    const key = shown || live !== undefined ? JSON.stringify([value, g ?? null, marks ? [...marks] : null]) : "";
    if (key === view.tensorKey) return;
    view.tensorKey = key;
    drawTensor(view.tensor, view.view, shown || live !== undefined ? value : undefined, g, marks);
  }

  // -- the view: zoom and pan live in the viewport ----------------------------

  // The whole drawing's box, for export.
  get extent() {
    return this.viewport.bounds;
  }

  fit() {
    this.viewport.fit();
  }

  zoom(factor) {
    this.viewport.zoom(factor);
  }

  // The node the circuit search found: outlined, and the view centred on it when it is
  // a new find (`centre`).
  markFound(id, centre) {
    if (this.found && this.found !== id) this.nodeViews.get(this.found)?.g.classList.remove("found");
    this.found = id && this.nodeViews.has(id) ? id : null;
    if (!this.found) return;
    this.nodeViews.get(id).g.classList.add("found");
    if (centre && this.pos.get(id)) this.viewport.centerOn(this.pos.get(id));
  }

  // Pan (never zoom) so that a node is inside the view.
  reveal(id) {
    const p = this.pos.get(id);
    if (p) this.viewport.reveal(p);
  }
}
