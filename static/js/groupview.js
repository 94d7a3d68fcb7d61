// A folded circuit drawn (groups.js, grouplayout.js): each collapsed group a box titled
// by its statement's line, showing its value and gradient at the step (or how many gates
// it holds), with a + to unfold it; each unfolded group a frame around what it holds,
// with a − to fold it again; each node it shows a gate or an input with its numbers under
// it. Built once per fold, then only texts and classes change as the stepper moves.
//
// A small program's fold (smallfold.js) has no frames: each gate of a collapsible group
// has the hidden − of a gate drawn whole (foldcircuit.js shows it under the pointer), and
// an input's numbers sit at its left.
//
// Like a composite gate's ± handles, the + and − are no tab stops: the circuit is one,
// ↑ ↓ move from box to box, and + or − on the focused box or gate press them.

import { BOX_H, CHAR_W, R } from "./grouplayout.js";
import { label, full } from "./format.js";
import { groupAround } from "./groups.js";
import { LEAF_HALF, SIDE, SIDE_GAP } from "./smallfold.js";
import { el } from "./svg.js";

const clip = (text, room) => {
  let width = 0;
  let out = "";
  for (const ch of text) {
    width += (ch.codePointAt(0) > 0x2e80 ? 2 : 1) * CHAR_W;
    if (width > room) return `${out}…`;
    out += ch;
  }
  return out;
};

function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

// The hidden − that collapses a group (`groupId`), at (x, y) in `parent`, for one of its
// nodes (`nodeId`): hovering it highlights the group's nodes (`members()`: their views).
export function foldHandle(parent, { groupId, nodeId, x, y, text, members, fold }) {
  const g = el("g", { class: "fold-handle", tabindex: -1, role: "button", "data-group": groupId,
                      "data-node": nodeId, transform: `translate(${x},${y})` }, parent);
  el("circle", { r: 8 }, g);
  el("text", { "text-anchor": "middle", dy: "0.35em" }, g).textContent = "−";
  g.setAttribute("aria-label", text);
  el("title", {}, g).textContent = text;
  g.addEventListener("click", (e) => {
    e.stopPropagation();
    fold();
  });
  g.addEventListener("pointerdown", (e) => e.stopPropagation());
  g.addEventListener("mouseenter", () => { for (const v of members()) v.g.classList.add("fold-hl"); });
  g.addEventListener("mouseleave", () => { for (const v of members()) v.g.classList.remove("fold-hl"); });
  return g;
}

export class GroupDrawing {
  // `root`: the viewport's <g>; `handlers`: {toggle(groupId, open), text(key, params)}.
  constructor(root, body, handlers) {
    this.body = body;
    this.handlers = handlers;
    const { fold } = body;
    this.byId = body.fold.nodes;
    this.openSet = new Set(body.fold.open);
    this.groupsById = new Map(body.groups.map((g) => [g.id, g]));
    const frames = el("g", { class: "group-frames" }, root);
    const edges = el("g", { class: "edges" }, root);
    const nodes = el("g", { class: "nodes fold-nodes" }, root);
    this.overlay = el("g", { class: "overlays" }, root);
    this.views = new Map();
    this.pos = new Map();
    this.frameHandles = new Map(); // open group id -> its − handle
    this.foldHandles = new Map(); // a small program's node id -> its hidden −
    for (const frame of fold.frames) this.makeFrame(frames, frame);
    fold.items.forEach((id, k) => this.makeItem(nodes, id, fold.pos.get(id), k === 0));
    this.wires = fold.wires.map((wire) => this.makeWire(edges, wire));
    this.bounds = fold.bounds;
  }

  // The innermost open group drawn as a frame around a node or a box, or null.
  openAround(id) {
    const node = this.byId.get(id);
    let g = node.info ? node.info.parent : node.group;
    while (g && !(this.openSet.has(g) && this.frameHandles.has(g))) g = this.groupsById.get(g).parent;
    return g || null;
  }

  makeFrame(layer, frame) {
    const g = el("g", { class: "group-frame", "data-group": frame.id }, layer);
    el("rect", { x: frame.x, y: frame.y, width: frame.w, height: frame.h, rx: 10, class: "frame" }, g);
    // the title over the wires that cross the frame
    const label = el("g", { class: "frame-label" }, this.overlay);
    el("title", {}, label).textContent = frame.title;
    const title = el("text", { class: "group-title frame-title", x: frame.x + 12, y: frame.y + 18 }, label);
    title.textContent = clip(frame.title, frame.w - 44);
    this.frameHandles.set(frame.id, this.handle(frame.x + frame.w - 14, frame.y + 14, frame.id, false, frame.title));
  }

  handle(x, y, groupId, open, title) {
    const g = el("g", { class: "gate-handle group-handle", tabindex: -1, role: "button", "data-group": groupId,
                        transform: `translate(${x},${y})` }, this.overlay);
    el("circle", { r: 9 }, g);
    el("text", { "text-anchor": "middle", dy: "0.35em" }, g).textContent = open ? "+" : "−";
    const text = this.handlers.text(open ? "groupUnfold" : "groupFold", { title });
    g.setAttribute("aria-label", text);
    el("title", {}, g).textContent = text;
    const activate = (e) => {
      e.stopPropagation();
      this.handlers.toggle(groupId, open);
    };
    g.addEventListener("click", activate);
    g.addEventListener("pointerdown", (e) => e.stopPropagation());
    return g;
  }

  makeItem(layer, id, p, first) {
    const node = this.byId.get(id);
    const cx = p.x + p.w / 2;
    const cy = p.y + p.h / 2;
    this.pos.set(id, { x: cx, y: cy, left: p.w / 2, right: p.w / 2 });
    const kind = node.info ? "box" : node.op === "input" ? "input" : node.op === "const" ? "const" : "gate";
    const g = el("g", { class: `node ${kind === "box" ? "group-box" : kind}`, tabindex: first ? 0 : -1, "data-id": id,
                        role: "button" }, layer);
    const view = { id, node, kind, g, p, handle: null, foldHandle: null };
    const around = this.openAround(id);
    if (around) view.foldHandle = this.frameHandles.get(around);
    else if (kind !== "box" && this.body.fold.small) view.foldHandle = this.gateHandle(id, cx, p.y + 18 + 8 + R, kind);
    if (kind === "box") {
      view.shape = el("rect", { x: p.x, y: p.y, width: p.w, height: BOX_H, rx: 6, class: "shape" }, g);
      const title = el("text", { class: "group-title", x: p.x + 10, y: p.y + 18 }, g);
      title.textContent = clip(node.label, p.w - 36);
      view.stats = el("text", { class: "group-stats", x: p.x + 10, y: p.y + 36 }, g);
      view.handle = this.handle(p.x + p.w - 14, p.y + 14, id, true, node.label);
    } else {
      const top = p.y + 18; // the name's line
      const sy = top + 8 + R; // the shape's centre
      // its room, an input's numbers at its left included (for the stepper's panning)
      view.centre = { x: cx, y: sy, left: p.side ? LEAF_HALF + SIDE_GAP + SIDE : p.w / 2, right: p.w / 2 };
      this.pos.set(id, view.centre);
      if (kind === "gate") {
        view.shape = el("circle", { cx, cy: sy, r: R, class: "shape" }, g);
        if (node.name) el("text", { class: "node-name", x: cx, y: top, "text-anchor": "middle" }, g).textContent = node.name;
        el("text", { class: "symbol", x: cx, y: sy, dy: "0.35em", "text-anchor": "middle" }, g).textContent = node.label;
      } else {
        view.shape = el("rect", { x: cx - 26, y: sy - 14, width: 52, height: 28, rx: 8, class: "shape" }, g);
        el("text", { class: "symbol", x: cx, y: sy, dy: "0.35em", "text-anchor": "middle" }, g)
          .textContent = clip(node.name || node.label, 48);
      }
      if (p.side) { // at its left, the value above the gradient
        const sx = cx - LEAF_HALF - SIDE_GAP;
        view.value = el("text", { class: "value side", x: sx, y: sy - 3, "text-anchor": "end" }, g);
        view.grad = el("text", { class: "grad side", x: sx, y: sy + 13, "text-anchor": "end" }, g);
      } else {
        view.value = el("text", { class: "value", x: cx, y: sy + R + 15, "text-anchor": "middle" }, g);
        view.grad = el("text", { class: "grad", x: cx, y: sy + R + 33, "text-anchor": "middle" }, g);
      }
    }
    view.title = el("title", {}, g);
    this.views.set(id, view);
  }

  // A small program's hidden − at a node's top left, for the group (of two gates or more,
  // or a section) around it: it collapses the group (foldcircuit.js shows it).
  gateHandle(id, cx, cy, kind) {
    const groupId = groupAround(this.body.fold.source, id);
    if (!groupId) return null;
    const title = this.groupsById.get(groupId).title;
    const [dx, dy] = kind === "gate" ? [-R - 4, -R + 8] : [-LEAF_HALF + 6, -24];
    const members = () => [...this.views.values()].filter((v) => v.kind !== "box"
      && groupAround(this.body.fold.source, v.id) === groupId);
    const g = foldHandle(this.overlay, { groupId, nodeId: id, x: cx + dx, y: cy + dy,
                                         text: this.handlers.text("groupFold", { title }), members,
                                         fold: () => this.handlers.toggle(groupId, false) });
    this.foldHandles.set(id, g);
    return g;
  }

  // A wire from the right of its source to the left of its target.
  makeWire(layer, wire) {
    const a = this.body.fold.pos.get(wire.from);
    const b = this.body.fold.pos.get(wire.to);
    const ya = this.views.get(wire.from).centre ? this.views.get(wire.from).centre.y : a.y + a.h / 2;
    const yb = this.views.get(wire.to).centre ? this.views.get(wire.to).centre.y : b.y + b.h / 2;
    const xa = this.views.get(wire.from).kind === "box" ? a.x + a.w : a.x + a.w / 2 + R;
    const xb = this.views.get(wire.to).kind === "box" ? b.x : b.x + b.w / 2 - R;
    const bend = Math.max(24, Math.abs(xb - xa) / 2);
    const g = el("g", { class: "edge", "data-from": wire.from, "data-to": wire.to }, layer);
    el("path", { class: "wire", d: `M${xa},${ya} C${xa + bend},${ya} ${xb - bend},${yb} ${xb},${yb}` }, g);
    return { ...wire, g };
  }

  // The step's numbers and marks (circuit.js `update`'s arguments).
  update(state, { focus, hovered, names, lang }) {
    const t = this.handlers.text;
    for (const view of this.views.values()) {
      const { id, node } = view;
      const shown = state.shown.has(id);
      const grad = state.grads.get(id);
      const has = grad !== undefined && grad !== null;
      const hasValue = shown && node.value !== null && node.value !== undefined;
      if (view.kind === "box") {
        const { info } = node;
        const parts = [];
        if (hasValue) parts.push(`= ${label(node.value, node.shape)}`);
        if (has) parts.push(`∂ ${label(grad, node.shape)}`);
        if (!parts.length || node.value === null) {
          parts.unshift(info.gates ? t("groupGates", { gates: info.gates.toLocaleString(lang) })
            : t("groupInputsCount", { count: info.nodes.toLocaleString(lang) }));
        }
        setText(view.stats, clip(parts.join("   "), view.p.w - 20));
      } else {
        setText(view.value, hasValue && view.kind !== "const" ? label(node.value, node.shape) : ""); // a constant shows it inside
        setText(view.grad, has ? label(grad, node.shape) : "");
      }
      view.g.classList.toggle("computed", shown);
      view.g.classList.toggle("current", focus === id);
      view.g.classList.toggle("hl", hovered.has(id));
      const title = [
        view.kind === "box" ? node.label : names(node),
        hasValue ? `= ${full(node.value)}` : "",
        has ? `∂ = ${full(grad)}` : "",
      ].filter(Boolean).join("  ");
      setText(view.title, title);
      if (view.g.getAttribute("aria-label") !== title) view.g.setAttribute("aria-label", title);
    }
    for (const wire of this.wires) wire.g.classList.toggle("active", wire.to === focus && state.current !== null
      && state.current.kind !== "forward" && !(state.current.kind === "group" && state.current.dir === "forward"));
  }

  // The first item shown inside an open group (for the keyboard's focus).
  firstInside(groupId) {
    for (const id of this.body.fold.items) {
      const node = this.byId.get(id);
      for (let g = node.info ? node.info.parent : node.group; g; g = this.groupsById.get(g).parent) {
        if (g === groupId) return id;
      }
    }
    return null;
  }

  // + or − pressed on the focused item: unfold its box, or fold the group around it.
  key(id, plus) {
    const view = this.views.get(id);
    if (!view) return false;
    const handle = plus ? view.handle : view.foldHandle;
    if (!handle) return false;
    handle.dispatchEvent(new MouseEvent("click"));
    return true;
  }
}
