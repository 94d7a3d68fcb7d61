// The circuit as SVG: built once per graph, then only attributes and text change.
//
// cs231n's convention: each wire shows its source's value above it (green) and,
// once the backward pass has sent a gradient along it, that gradient below it
// (red, italic). Nodes show their own gradient so far beside them.

import { full, label, shapeText } from "./format.js";
import { drawTensor } from "./tensorview.js";
import { edgeKey } from "./timeline.js";
import { el } from "./svg.js";
import { Viewport } from "./zoom.js";

const R = 22;
const STUB = 70;
// Where along a wire its labels sit: past the middle when the source fans out (so the
// wires leaving one value carry their labels apart), before it when the wire is its
// source's only one (so wires converging on one gate do).
const LABEL_FAN_OUT = 0.64;
const LABEL_SINGLE = 0.4;

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function toggle(node, cls, on) {
  if (node.classList.contains(cls) !== on) node.classList.toggle(cls, on);
}

// A smooth path through the layout's points: straight for two points, curved through more.
function pathThrough(points) {
  let d = `M${points[0][0]},${points[0][1]}`;
  if (points.length === 2) return `${d} L${points[1][0]},${points[1][1]}`;
  for (let i = 1; i < points.length; i += 1) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    const mx = (x0 + x1) / 2;
    d += ` C${mx},${y0} ${mx},${y1} ${x1},${y1}`;
  }
  return d;
}

// A point `fraction` of the way along the path. Labels sit past the middle, towards the
// gate the wire feeds: wires fanning out of one value then carry their labels apart.
function along(points, fraction) {
  let total = 0;
  const lengths = [];
  for (let i = 1; i < points.length; i += 1) {
    const len = Math.hypot(points[i][0] - points[i - 1][0], points[i][1] - points[i - 1][1]);
    lengths.push(len);
    total += len;
  }
  let walk = total * fraction;
  for (let i = 0; i < lengths.length; i += 1) {
    if (walk <= lengths[i] || i === lengths.length - 1) {
      const f = lengths[i] ? walk / lengths[i] : 0;
      const [x0, y0] = points[i];
      const [x1, y1] = points[i + 1];
      return [x0 + (x1 - x0) * f, y0 + (y1 - y0) * f];
    }
    walk -= lengths[i];
  }
  return points[0];
}

// Node ids, ops and inputs: if these match, a new response can reuse the drawing.
export function structureKey(body) {
  return body.nodes.map((n) => `${n.id}:${n.op}:${n.inputs.join(",")}:${n.shape.join("x")}`).join("|");
}

export class CircuitView {
  constructor(svg, handlers) {
    this.svg = svg;
    this.handlers = handlers; // { onNodeHover(id|null), onToggleExpand, handleLabel, checkText }
    this.key = null;
    this.viewport = new Viewport(svg);
  }

  // Build the drawing for a response (or keep it, when only numbers changed).
  setGraph(body) {
    const key = structureKey(body) + JSON.stringify(body.layout ? [body.layout.width, body.layout.height] : []);
    this.body = body;
    this.byId = new Map(body.nodes.map((n) => [n.id, n]));
    if (key === this.key) return false;
    this.key = key;
    this.build(body);
    this.viewport.initial();
    return true;
  }

  build(body) {
    const svg = this.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const layout = body.layout; // the server always lays the circuit out
    this.layout = layout;
    const pos = (id) => layout.nodes[id];
    const root = el("g", { class: "viewport" }, svg);
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
    const uses = new Map();
    for (const node of body.nodes) {
      for (const id of node.inputs) uses.set(id, (uses.get(id) || 0) + 1);
    }
    for (const node of body.nodes) {
      node.inputs.forEach((inputId, position) => {
        const a = pos(inputId);
        const b = pos(node.id);
        const k = `${inputId}>${node.id}`;
        const seen = used.get(k) || 0;
        used.set(k, seen + 1);
        const given = (routes.get(k) || [])[seen];
        let points = given && given.length >= 2 ? given.map((p) => [p[0], p[1]]) : [[a.x, a.y], [b.x, b.y]];
        points[0] = [points[0][0] + R, points[0][1]];
        points[points.length - 1] = [b.x - R, b.y + (seen ? 8 * seen : 0)];
        const at = (uses.get(inputId) || 0) > 1 ? LABEL_FAN_OUT : LABEL_SINGLE;
        this.edges.push(this.makeEdge(edgeLayer, inputId, node.id, position, points, at));
      });
    }
    const out = pos(body.output);
    this.edges.push(this.makeEdge(edgeLayer, body.output, null, 0,
      [[out.x + R, out.y], [out.x + R + STUB, out.y]]));

    for (const node of body.nodes) this.nodeViews.set(node.id, this.makeNode(nodeLayer, node, pos(node.id)));
    this.viewport.attach(root, { x: -40, y: -50, w: (layout.width || 200) + STUB + 80,
                                 h: (layout.height || 100) + 100 });
  }

  makeEdge(layer, from, to, position, points, at = 0.5) {
    const g = el("g", { class: to ? "edge" : "edge output-edge" }, layer);
    el("path", { d: pathThrough(points), class: "wire", "marker-end": "" }, g);
    const [mx, my] = along(points, at);
    const value = el("text", { x: mx, y: my - 7, class: "value", "text-anchor": "middle" }, g);
    const valueTitle = el("title", {}, value);
    const grad = el("text", { x: mx, y: my + 17, class: "grad", "text-anchor": "middle" }, g);
    const gradTitle = el("title", {}, grad);
    const quiet = Boolean(this.layout.nodes[from] && this.layout.nodes[from].view);
    return { g, from, to, key: to ? edgeKey(from, to, position) : null, value, valueTitle, grad, gradTitle,
             quiet };
  }

  makeNode(layer, node, p) {
    const kind = node.op === "input" ? "input" : node.op === "const" ? "const" : "gate";
    const g = el("g", { class: `node ${kind}`, transform: `translate(${p.x},${p.y})`, tabindex: 0,
                        "data-id": node.id, role: "button" }, layer);
    if (kind === "gate") el("circle", { r: R, class: "shape" }, g);
    else el("rect", { x: -R - 6, y: -15, width: 2 * R + 12, height: 30, rx: 8, class: "shape" }, g);
    const text = el("text", { class: "symbol", "text-anchor": "middle", dy: "0.35em" }, g);
    text.textContent = kind === "gate" ? node.label : (node.name || node.label);
    if (kind === "gate" && node.name) {
      const name = el("text", { class: "node-name", "text-anchor": "middle", y: -R - 8 }, g);
      name.textContent = node.name;
    }
    const grad = el("text", { class: "grad node-grad", "text-anchor": "middle", y: R + 18 }, g);
    const fresh = kind === "input" && !p.view
      ? el("text", { class: "node-new", "text-anchor": "middle", y: R + 33 }, g) : null;
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
    const handle = this.makeHandle(node, p);
    const tensor = p.view
      ? el("g", { class: "tensor-view", "data-id": node.id,
                  transform: `translate(${p.x + p.view.x},${p.y + p.view.y})` }, this.overlay)
      : null;
    g.addEventListener("mouseenter", () => this.handlers.onNodeHover(node.id));
    g.addEventListener("mouseleave", () => this.handlers.onNodeHover(null));
    g.addEventListener("focus", () => this.handlers.onNodeHover(node.id));
    g.addEventListener("blur", () => this.handlers.onNodeHover(null));
    return { g, grad, fresh, title, warn, tensor, view: p.view, tensorKey: "", check, checkTitle, handle };
  }

  // A small ± button on a composite gate (expand it in place) and on the last primitive
  // of an expanded one (collapse it again).
  makeHandle(node, p) {
    const group = node.expanded_from ? this.groupTop.get(node.origin) === node.id : false;
    if (!(node.composite || group)) return null;
    const origin = node.origin || node.id;
    const expand = !group;
    const g = el("g", { class: "gate-handle", transform: `translate(${p.x + R - 2},${p.y + R - 2})`,
                        tabindex: 0, role: "button", "data-origin": origin }, this.overlay);
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

  // Show the numbers visible at this step; highlight the current and hovered nodes.
  // `routes`: per node id, the cells of its gradient a pooling step sends to (outlined).
  update(state, focusId, hovered, names, bug = new Set(), checks = null, routes = null) {
    const byId = this.byId;
    for (const edge of this.edges) {
      const source = byId.get(edge.from);
      const shown = state.shown.has(edge.from);
      // a tensor's numbers are under its node: its wire stays clear of them
      const valueText = shown && !edge.quiet ? label(source.value, source.shape) : "";
      setText(edge.value, valueText);
      setText(edge.valueTitle, shown ? full(source.value) : "");
      let g;
      if (edge.key) g = state.edgeGrads.get(edge.key);
      else g = state.grads.get(edge.from);
      const has = g !== undefined;
      setText(edge.grad, has && !edge.quiet ? label(g, source.shape) : "");
      setText(edge.gradTitle, has ? full(g) : "");
      toggle(edge.g, "active", state.current && state.current.kind === "edge" && state.current.key === edge.key);
    }
    for (const [id, view] of this.nodeViews) {
      const node = byId.get(id);
      const shown = state.shown.has(id);
      const g = state.grads.get(id);
      const isLeaf = node.op === "input";
      // a tensor input's gradient is in the grid under it, not as its shape again
      setText(view.grad, isLeaf && g !== undefined && !view.view ? label(g, node.shape) : "");
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
        shown ? `= ${full(node.value)}` : "",
        g !== undefined ? `∂ = ${full(g)}` : "",
        warned ? node.warnings.join("; ") : "",
      ].filter(Boolean).join("  ");
      setText(view.title, title);
      if (view.g.getAttribute("aria-label") !== title) view.g.setAttribute("aria-label", title);
      this.renderTensor(view, node, shown, g, routes ? routes.get(id) : null);
      if (view.check) {
        const entry = checks && node.name ? checks[node.name] : null;
        const done = entry && state.k === state.total;
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

  // Pan (never zoom) so that a node is inside the view.
  reveal(id) {
    const p = this.layout && this.layout.nodes[id];
    if (p) this.viewport.reveal(p);
  }
}
