// The circuit view of a folded program: CircuitView (circuit.js) for everything, and for
// an answer folded into its statement groups (groups.js) the drawing of groupview.js in
// its place, with the same viewport, keys and pointer handling.
//
// A fold drawn afresh is a few dozen boxes; when only the folds changed the view keeps
// its scale and centres on what was unfolded (or folded), and the keyboard's focus
// follows it there.

import { CircuitView } from "./circuit.js";
import { GroupDrawing } from "./groupview.js";
import { el } from "./svg.js";

export class FoldingCircuitView extends CircuitView {
  constructor(svg, handlers) {
    super(svg, handlers);
    this.groups = null;
    // + and − on a box or a gate of a folded program press its + or its frame's −
    // (before the composite gates' handler, which would look for a gate's own handle)
    svg.addEventListener("keydown", (e) => {
      if (!this.groups || (e.key !== "+" && e.key !== "-")) return;
      e.stopImmediatePropagation();
      const node = e.target.closest ? e.target.closest(".node") : null;
      if (node && this.groups.key(node.dataset.id, e.key === "+")) e.preventDefault();
    }, true);
  }

  setGraph(body) {
    if (body === this.body) return false;
    if (body.fold) return this.setFolded(body);
    if (this.groups) Object.assign(this, { groups: null, key: null, shown: null });
    return super.setGraph(body);
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
    Object.assign(this, { byId: this.groups.byId, nodeViews: this.groups.views, pos: this.groups.pos });
    this.viewport.attach(root, this.groups.bounds);
    if (!prev || prev.body.fold.source !== body.fold.source || !this.viewport.view) {
      this.viewport.initial(this.pos.get(body.output));
      return true;
    }
    const before = new Set(prev.body.fold.open);
    const after = new Set(body.fold.open);
    const opened = body.fold.open.find((id) => !before.has(id));
    const closed = prev.body.fold.open.find((id) => !after.has(id));
    const frame = opened ? body.fold.frames.find((f) => f.id === opened) : null;
    const at = frame ? { x: frame.x + Math.min(frame.w, this.viewport.size().width) / 2, y: frame.y + 40 }
      : closed ? this.pos.get(closed) : null;
    if (at) this.viewport.centerOn(at);
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
