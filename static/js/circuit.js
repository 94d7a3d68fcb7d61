// The circuit as SVG: built once per graph, then only attributes and text change.
//
// cs231n's convention: each wire shows its source's value above it (green) and, once
// the backward pass has sent a gradient along it, that gradient below it (red, italic).
// An input used more than once also shows the sum of its gradients beside it. Where
// each of these goes is worked out once per answer, from the texts of the end of the
// pass (arrange.js), so no number lands on another and nothing moves while stepping.
//
// A big circuit (LAZY_FROM nodes and up) is laid out in place and drawn where the view
// is (bigcircuit.js). Either way a step redraws only what it changed (timeline.js's
// changedBetween): a node or a wire, not all of them.

import { arrange } from "./arrange.js";
import { BigDrawing } from "./bigcircuit.js";
import { DETAIL, makeEdge, makeNode, placeEdge, placeNode, renderEdge, renderNode } from "./circuitparts.js";
import { label, shapeText } from "./format.js";
import { createMeter } from "./measure.js";
import { drawNeuronMaps } from "./neuronmaps.js";
import { timelineOf } from "./selectors.js";
import { el } from "./svg.js";
import { changedBetween, edgeKey, stateAt } from "./timeline.js";
import { Viewport } from "./zoom.js";

const SOFT_WIRES_UP_TO = 200; // wires up to which labels also keep off other wires
const LAZY_FROM = 1000; // nodes from which a circuit is drawn only where the view is

// Node ids, ops and inputs: if these match, a new response can reuse the drawing.
export function structureKey(body) {
  // the names and symbols drawn are part of it: a renamed variable or a changed constant
  // redraws its gate, not only its numbers
  return body.nodes.map((n) => `${n.id}:${n.op}:${n.inputs.join(",")}:${n.shape.join("x")}:${n.name || ""}:${n.label}`)
    .join("|");
}

// The texts of the end of the pass, which the placement makes room for: the state
// after the last step, and per input the widest its running sum of gradients shows on
// the way (worked out for an input when asked: a big circuit asks for few).
function endTexts(body) {
  const timeline = timelineOf(body);
  const end = stateAt(timeline, timeline.items.length);
  let sums = null; // input id -> its running sums
  const texts = new Map();
  const sumText = (id) => {
    if (!sums) {
      sums = new Map();
      for (const item of timeline.items) {
        if (item.kind !== "edge" || item.edge.sum === undefined) continue;
        if (!sums.has(item.edge.input)) sums.set(item.edge.input, []);
        sums.get(item.edge.input).push(item.edge.sum);
      }
    }
    if (!texts.has(id)) {
      const shape = timeline.nodes.get(id).shape;
      let widest = "";
      for (const sum of sums.get(id) || []) {
        const text = label(sum, shape);
        if (text.length >= widest.length) widest = text;
      }
      texts.set(id, widest);
    }
    return texts.get(id);
  };
  return { end, sumText };
}

// The keys of `a` and `b` (Sets, or Maps) that one has and the other has not (or, for
// Maps, has with another value), into `out`.
function differ(a, b, out) {
  const at = (m, k) => (m instanceof Map ? m.get(k) : true);
  for (const k of a ? a.keys() : []) if (!b || !b.has(k) || at(a, k) !== at(b, k)) out.add(k);
  for (const k of b ? b.keys() : []) if (!a || !a.has(k)) out.add(k);
}

export class CircuitView {
  constructor(svg, handlers) {
    this.svg = svg;
    this.handlers = handlers; // { onNodeHover(id|null), onToggleExpand, handleLabel, checkText }
    this.key = null;
    this.viewport = new Viewport(svg);
    this.viewport.listeners.push(() => this.big && this.big.materialize());
    this.meter = null;
    this.pos = new Map();
    this.shown = null; // what update() showed last: the step's state and the marks on it
    this.pointed = null; // the node under the pointer
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
    const nodeOf = (target) => (target && target.closest ? target.closest(".node") : null);
    svg.addEventListener("focusin", (e) => {
      const node = nodeOf(e.target);
      if (!node) return;
      for (const other of svg.querySelectorAll('.node[tabindex="0"]')) other.setAttribute("tabindex", "-1");
      node.setAttribute("tabindex", "0");
      if (e.target !== node) return;
      this.handlers.onNodeHover(node.dataset.id);
      if (this.lazy) this.reveal(node.dataset.id); // a big circuit's gate may be far from the view
    });
    svg.addEventListener("focusout", (e) => {
      if (e.target.classList && e.target.classList.contains("node")) this.handlers.onNodeHover(null);
    });
    // entering and leaving a node, for all of them at once
    svg.addEventListener("mouseover", (e) => {
      const node = nodeOf(e.target);
      if (!node || node === this.pointed) return;
      this.pointed = node;
      this.handlers.onNodeHover(node.dataset.id);
    });
    svg.addEventListener("mouseout", (e) => {
      if (!this.pointed || nodeOf(e.relatedTarget) === this.pointed) return;
      this.pointed = null;
      this.handlers.onNodeHover(null);
    });
  }

  // Build the drawing for a response (or keep it, when only numbers changed), and place
  // its labels for these numbers.
  setGraph(body) {
    if (body === this.body) return false;
    const key = structureKey(body) + JSON.stringify(body.layout ? [body.layout.width, body.layout.height] : []);
    const fresh = key !== this.key;
    this.body = body;
    this.byId = new Map(body.nodes.map((n) => [n.id, n]));
    if (fresh) {
      this.key = key;
      this.extra = null;
      this.build(body);
    } else {
      for (const node of body.nodes) this.nodeViews.get(node.id).node = node; // this answer's numbers
    }
    this.arrange(body);
    if (fresh) this.viewport.initial(this.pos.get(body.output));
    else if (this.big) this.big.materialize();
    return fresh;
  }

  build(body) {
    const svg = this.svg;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    if (!this.meter) this.meter = createMeter(svg);
    const layout = body.layout; // the server always lays the circuit out
    this.layout = layout;
    this.lazy = body.nodes.length >= LAZY_FROM;
    this.pointed = null;
    const root = el("g", { class: "viewport" }, svg);
    this.root = root;
    this.edgeLayer = el("g", { class: "edges" }, root);
    const nodeLayer = el("g", { class: "nodes" }, root);
    this.overlay = el("g", { class: "overlays" }, root);
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
    this.edges = [];
    for (const node of body.nodes) {
      node.inputs.forEach((inputId, position) => {
        const k = `${inputId}>${node.id}`;
        const seen = used.get(k) || 0;
        used.set(k, seen + 1);
        const given = (routes.get(k) || [])[seen];
        const a = layout.nodes[inputId];
        const b = layout.nodes[node.id];
        const route = given && given.length >= 2 ? given : [[a.x, a.y], [b.x, b.y]];
        this.edges.push(this.edgeView(inputId, node.id, position, route, seen));
      });
    }
    this.edges.push(this.edgeView(body.output, null, 0, null, 0));
    this.edgeByKey = new Map();
    this.edgesFrom = new Map(); // node id -> the wires leaving it
    this.edges.forEach((edge, i) => {
      edge.index = i;
      if (edge.key) this.edgeByKey.set(edge.key, edge);
      if (!this.edgesFrom.has(edge.from)) this.edgesFrom.set(edge.from, []);
      this.edgesFrom.get(edge.from).push(edge);
    });
    this.nodeViews = new Map();
    const nodes = document.createDocumentFragment(); // thousands of <g>s, put in at once
    body.nodes.forEach((node, k) => {
      this.nodeViews.set(node.id, this.nodeView(nodes, node, layout.nodes[node.id], k === 0));
    });
    nodeLayer.appendChild(nodes);
    this.inputViews = [...this.nodeViews.values()].filter((view) => view.kind === "input");
    this.big = null;
  }

  // A wire's record; its elements come later (circuitparts.js).
  edgeView(from, to, position, route, seen) {
    const quiet = Boolean(this.layout.nodes[from] && this.layout.nodes[from].view);
    return { from, to, route, seen, key: to ? edgeKey(from, to, position) : null, quiet, g: null, points: null };
  }

  // A node's record and its <g>; its parts come later (circuitparts.js).
  nodeView(layer, node, p, first) {
    const kind = node.op === "input" ? "input" : node.op === "const" ? "const" : "gate";
    const g = el("g", { class: `node ${kind}`, tabindex: first ? 0 : -1, "data-id": node.id, role: "button" }, layer);
    const group = node.expanded_from ? this.groupTop.get(node.origin) === node.id : false;
    return {
      id: node.id, node, kind, g, p,
      symbol: kind === "gate" ? node.label : (node.name || node.label),
      badge: node.shape.length ? `[${shapeText(node.shape)}]` : null,
      // an input used once shows its gradient on its wire only
      showGrad: kind === "input" && !p.view && (this.uses.get(node.id) || 0) !== 1,
      freshLine: kind === "input" && !p.view,
      handleFor: node.composite || group
        ? { origin: node.origin || node.id, expand: !group, label: group ? node.expanded_from : node.label } : null,
      shape: null, detailed: false, lines: [], lineKinds: [],
      bare: this.lazy, // drawn in place until made in detail (circuitparts.js placeNode)
    };
  }

  // Place the nodes, wires and labels for this answer's numbers (arrange.js).
  arrange(body) {
    this.arranged = body;
    const { end, sumText } = endTexts(body);
    const linesOf = (view) => {
      const { node } = view;
      const lines = [];
      if (view.showGrad && end.grads.has(node.id)) {
        lines.push({ kind: "nodeGrad", text: sumText(node.id) || label(end.grads.get(node.id), node.shape) });
      }
      if (view.freshLine && end.updated.has(node.id)) {
        lines.push({ kind: "fresh", text: `→ ${label(end.updated.get(node.id), node.shape)}` });
      }
      view.lineKinds = lines.map((line) => line.kind);
      return lines;
    };
    const nodes = body.nodes.map((node) => {
      const view = this.nodeViews.get(node.id);
      return {
        id: node.id, kind: view.kind, p: this.layout.nodes[node.id], symbol: view.symbol, badge: view.badge,
        name: view.kind === "gate" ? node.name : null, handle: Boolean(view.handleFor),
        warned: Boolean(node.warnings && node.warnings.length),
        check: Boolean(view.kind === "input" && body.gradcheck && node.name && body.gradcheck[node.name]),
      };
    });
    const texts = (edge) => {
      const source = this.byId.get(edge.from);
      const grad = edge.to ? end.edgeGrads.get(edge.key) : end.grads.get(edge.from);
      return {
        value: edge.quiet ? "" : label(source.value, source.shape),
        grad: edge.quiet || grad === undefined ? "" : label(grad, source.shape),
      };
    };
    const edges = this.edges.map((edge) => ({ from: edge.from, to: edge.to, route: edge.route, seen: edge.seen }));
    if (this.lazy) {
      this.big = new BigDrawing(this, { nodes, edges, lines: (id) => linesOf(this.nodeViews.get(id)),
                                        texts: (i) => texts(this.edges[i]) });
      this.pos = this.big.arrangement.pos;
      this.viewport.attach(this.root, this.big.arrangement.bounds);
      return;
    }
    nodes.forEach((node) => { node.lines = linesOf(this.nodeViews.get(node.id)); });
    this.edges.forEach((edge, i) => Object.assign(edges[i], texts(edge)));
    const placed = arrange({ nodes, edges }, this.meter,
                           { softWires: edges.length <= SOFT_WIRES_UP_TO, start: this.extra });
    this.extra = placed.extra; // the next answer of this circuit starts from this room
    this.svg.dataset.labelMisses = String(placed.failed.length);
    this.pos = placed.pos;
    this.edges.forEach((edge, i) => {
      const { points, labels } = placed.edges[i];
      if (edge.g) placeEdge(edge, points, labels);
      else {
        edge.points = points;
        makeEdge(this, edge, DETAIL, labels);
      }
    });
    for (const view of this.nodeViews.values()) {
      view.p = placed.pos.get(view.id);
      const spots = placed.stacks.get(view.id) || [];
      if (view.detailed) {
        view.lines = view.lineKinds.map((kind) => (kind === "nodeGrad" ? view.grad : view.fresh));
        placeNode(view, spots);
      } else {
        makeNode(this, view, DETAIL, spots);
      }
    }
    this.viewport.attach(this.root, placed.bounds);
  }

  // Show the numbers visible at this step; highlight the current and hovered nodes.
  // `routes`: per node id, the cells of its gradient a pooling step sends to (outlined).
  // `names(node)`: a node's name for reading, which `lang` and `program` decide.
  // Only what differs from the last call is drawn again: a step is a node or a wire.
  update(state, { focus = null, hovered = new Set(), names, bug = new Set(), checks = null, routes = null,
                  lang = null, program = null } = {}) {
    const prev = this.shown;
    const next = { body: this.body, state, focus, hovered, names, bug, checks, routes, lang, program, live: this.live };
    this.shown = next;
    if (!prev || prev.body !== next.body || prev.lang !== lang || prev.program !== program) {
      for (const edge of this.edges) renderEdge(this, edge);
      for (const view of this.nodeViews.values()) renderNode(this, view);
      return;
    }
    const nodes = new Set();
    const edges = new Set();
    if (prev.state !== state) {
      const changed = changedBetween(timelineOf(this.body), prev.state.k, state.k);
      for (const id of changed.nodes) nodes.add(id);
      for (const key of changed.edges) edges.add(this.edgeByKey.get(key));
      for (const current of [prev.state.current, state.current]) {
        if (current && current.kind === "edge") edges.add(this.edgeByKey.get(current.key));
      }
      // the gradient check's marks show at the end of the pass
      if ((prev.state.k === prev.state.total) !== (state.k === state.total)) {
        for (const view of this.inputViews) nodes.add(view.id);
      }
    }
    if (prev.focus !== focus) {
      nodes.add(prev.focus);
      nodes.add(focus);
    }
    differ(prev.hovered, hovered, nodes);
    differ(prev.bug, bug, nodes);
    if (prev.checks !== checks) for (const view of this.inputViews) nodes.add(view.id);
    if (prev.routes !== routes) differ(prev.routes, routes, nodes);
    if (prev.live !== next.live) differ(prev.live, next.live, nodes);
    for (const id of nodes) {
      const view = this.nodeViews.get(id);
      if (!view) continue;
      renderNode(this, view);
      for (const edge of this.edgesFrom.get(id) || []) edges.add(edge);
    }
    for (const edge of edges) if (edge) renderEdge(this, edge);
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

  // -- the view: zoom and pan live in the viewport ----------------------------

  // The whole drawing's box, for export.
  get extent() {
    return this.big ? this.big.arrangement.extent() : this.viewport.bounds;
  }

  // Run `fn` (an export) with all of the drawing made, every label in it.
  whole(fn) {
    return this.big ? this.big.whole(fn) : fn();
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
