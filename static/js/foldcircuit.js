// The circuit view of a folded program: CircuitView (circuit.js) for everything, and for
// an answer folded into its statement groups (groups.js) the drawing of groupview.js in
// its place, with the same viewport, keys and pointer handling.
//
// A fold drawn afresh is a few dozen boxes; when only the folds changed the view keeps
// its scale and shows what was unfolded from its top left (or centres on what was
// folded), and the keyboard's focus follows it there.
//
// A small program is drawn whole (the server's layout), and any of its statements of two
// gates or more, and any section, can be collapsed into its box: − on a focused gate, or
// the small − that shows at a gate's top left while the pointer or the focus is on it
// (hidden otherwise, so that the drawing looks as it always did).

import { LEAF_H, LEAF_W, R } from "./arrange.js";
import { CircuitView } from "./circuit.js";
import { groupAround } from "./groups.js";
import { GroupDrawing, foldHandle } from "./groupview.js";
import { el } from "./svg.js";
import { MIN_READABLE } from "./zoom.js";

// Whether a body is an answer drawn whole whose groups can be collapsed.
const collapsibleBody = (body) => Boolean(body && !body.fold && body.groups && !body.folded);

export class FoldingCircuitView extends CircuitView {
  constructor(svg, handlers) {
    super(svg, handlers);
    this.groups = null;
    // + and − on a box or a gate of a folded program press its + or its frame's −
    // (before the composite gates' handler, which would look for a gate's own handle)
    svg.addEventListener("keydown", (e) => {
      if (e.key !== "+" && e.key !== "-") return;
      const node = e.target.closest ? e.target.closest(".node") : null;
      if (!this.groups) {
        // − on a gate of a program drawn whole: collapse its statement (or section),
        // unless it is an expanded composite gate's, whose own − folds it back first
        if (e.key !== "-" || !node || !collapsibleBody(this.body)) return;
        const view = this.nodeViews ? this.nodeViews.get(node.dataset.id) : null;
        if (view && view.handleFor && !view.handleFor.expand) return;
        const group = groupAround(this.body, node.dataset.id);
        if (!group) return;
        e.stopImmediatePropagation();
        e.preventDefault();
        this.handlers.onToggleGroup(group, false);
        return;
      }
      e.stopImmediatePropagation();
      if (node && this.groups.key(node.dataset.id, e.key === "+")) e.preventDefault();
    }, true);
    // the − at the gate under the pointer or the focus (`foldHandles`)
    this.near = null;
    const near = (target) => {
      const node = target && target.closest ? target.closest(".node") : null;
      this.showFoldHandle(node ? node.dataset.id : null);
    };
    svg.addEventListener("mouseover", (e) => near(e.target));
    svg.addEventListener("focusin", (e) => near(e.target));
    svg.addEventListener("mouseleave", () => this.showFoldHandle(null));
    svg.addEventListener("focusout", (e) => { if (!svg.contains(e.relatedTarget)) near(null); });
  }

  setGraph(body) {
    if (body === this.body) return false;
    if (body.fold) return this.setFolded(body);
    const prev = this.groups;
    if (this.groups) Object.assign(this, { groups: null, key: null, shown: null });
    const focused = prev && this.svg.contains(document.activeElement);
    // the render a lost focus sets off while the drawing is rebuilt draws nothing of the
    // fold's; the next update draws everything
    if (prev) Object.assign(this, { nodeViews: new Map(), edges: [], inputViews: [] });
    const fresh = super.setGraph(body);
    if (prev) this.shown = null;
    if (fresh) this.foldHandles(body);
    this.plain = body;
    if (prev && prev.body.fold.source === body) {
      // the last collapsed group of a small program expanded: drawn as at first, the
      // focus on its first gate
      const id = prev.body.fold.items.find((item) => prev.byId.get(item).info);
      const first = id ? body.nodes.find((n) => this.inside(body, n, id)) : null;
      const view = first ? this.nodeViews.get(first.id) : null;
      if (view && focused) view.g.focus();
    }
    return fresh;
  }

  // Whether a node of an answer is inside a group (its own or an ancestor).
  inside(body, node, groupId) {
    const groups = this.groupsOf(body);
    for (let g = node.group; g; g = groups.get(g).parent) if (g === groupId) return true;
    return false;
  }

  groupsOf(body) {
    if (this.groupMap && this.groupMap.body === body) return this.groupMap.map;
    const map = new Map(body.groups.map((g) => [g.id, g]));
    this.groupMap = { body, map };
    return map;
  }

  // A hidden − per node of a collapsible group, at its top left: shown while the pointer
  // or the focus is on the node (or on the −), it collapses the group.
  foldHandles(body) {
    this.handlesById = new Map();
    this.near = null;
    if (!collapsibleBody(body) || this.lazy) return;
    const groups = this.groupsOf(body);
    for (const node of body.nodes) {
      const groupId = groupAround(body, node.id);
      const view = this.nodeViews.get(node.id);
      if (!groupId || !view) continue;
      const title = groups.get(groupId).title;
      const p = view.p;
      const [dx, dy] = view.kind === "gate" ? [-R - 4, -R + 8] : [-LEAF_W - 2, -LEAF_H - 2];
      const members = () => body.nodes.filter((n) => this.inside(body, n, groupId))
        .map((n) => this.nodeViews.get(n.id)).filter(Boolean);
      const g = foldHandle(this.overlay, { groupId, nodeId: node.id, x: p.x + dx, y: p.y + dy,
                                           text: this.handlers.text("groupFold", { title }), members,
                                           fold: () => this.handlers.onToggleGroup(groupId, false) });
      this.handlesById.set(node.id, g);
    }
  }

  showFoldHandle(id) {
    if (!this.handlesById || id === this.near) return;
    const old = this.handlesById.get(this.near);
    if (old) old.classList.remove("near");
    this.near = id;
    const now = this.handlesById.get(id);
    if (now) now.classList.add("near");
  }

  setFolded(body) {
    const prev = this.groups;
    const svg = this.svg;
    const focused = svg.contains(document.activeElement);
    this.body = body; // a render the blur below sets off finds this body drawn already
    if (focused) document.activeElement.blur();
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    Object.assign(this, { key: null, big: null, lazy: false, edges: [], inputViews: [], pointed: null,
                          shown: null });
    const root = el("g", { class: "viewport" }, svg);
    this.root = root;
    this.groups = new GroupDrawing(root, body, { toggle: this.handlers.onToggleGroup, text: this.handlers.text });
    Object.assign(this, { byId: this.groups.byId, nodeViews: this.groups.views, pos: this.groups.pos,
                          handlesById: this.groups.foldHandles, near: null });
    this.viewport.attach(root, this.groups.bounds);
    // from a small program drawn whole to one of its groups collapsed: as if every
    // group had been open
    const whole = !prev && this.plain === body.fold.source;
    this.plain = null;
    if (!whole && (!prev || prev.body.fold.source !== body.fold.source || !this.viewport.view)) {
      this.viewport.initial(this.pos.get(body.output));
      return true;
    }
    const before = new Set(whole ? body.groups.map((g) => g.id) : prev.body.fold.open);
    const after = new Set(body.fold.open);
    const opened = body.fold.open.find((id) => !before.has(id));
    const closed = [...before].find((id) => !after.has(id));
    const frame = opened ? body.fold.frames.find((f) => f.id === opened) : null;
    // an unfolded group's frame from its top left, as much of it as the view holds
    const seen = this.viewport.view;
    const pad = 20;
    const at = frame && seen
      ? { x: frame.x - pad + Math.min(frame.w + 2 * pad, seen.w) / 2,
          y: frame.y - pad + Math.min(frame.h + 2 * pad, seen.h) / 2 }
      : closed ? this.pos.get(closed) : null;
    if (!body.fold.source.folded) {
      // a small program's (laid out as its whole drawing, smallfold.js): all of it when it
      // fits at a readable scale, or at any scale when the drawing was fitted whole (the
      // program's column folded away for its room), else readable around what was
      // collapsed (or expanded)
      const viewport = this.viewport;
      const lowest = Math.min(MIN_READABLE, viewport.fitted === null ? MIN_READABLE : viewport.fitted);
      viewport.view = viewport.viewAt(viewport.fitScale(lowest), at || this.pos.get(body.output));
      viewport.fitted = lowest;
      viewport.apply();
    } else if (at) this.viewport.centerOn(at);
    else this.viewport.apply();
    const target = opened ? this.groups.firstInside(opened) : closed;
    if (focused && target && this.nodeViews.has(target)) this.nodeViews.get(target).g.focus();
    return true;
  }

  update(state, options = {}) {
    if (!this.groups || !this.body.fold) {
      super.update(state, options);
      return;
    }
    const { focus = null, hovered = new Set(), names, lang = null } = options;
    this.groups.update(state, { focus, hovered, names, lang });
  }

  showNeurons(neurons, label) {
    if (!this.groups) super.showNeurons(neurons, label);
  }
}
