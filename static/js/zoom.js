// The circuit's viewport: which rectangle of the drawing is on screen, changed by the
// wheel, a drag, a pinch, Fit, and the stepper panning to the node it is about.
//
// The view (a rectangle of drawing coordinates) becomes a transform on the root group:
// changing a transform costs well under a millisecond, where a new viewBox re-lays out
// every element of the drawing. For the same reason the svg is sized in px, to its box
// (the circuit's wrap): sized in % it is laid out again, all of it, whenever the page
// around it is (a second a step for a 5,000-gate circuit).

// Scales (screen px per drawing px) a view opens at: at most MAX_FIT, so a five-gate
// circuit is not blown up; at least MIN_READABLE, where 13 px labels are still 9 px on
// screen, so a big circuit is not a sliver: past that the view shows the output's end
// of it, and the stepper pans along.
export const MAX_FIT = 1.25;
export const MIN_READABLE = 0.7;

export class Viewport {
  constructor(svg) {
    this.svg = svg;
    this.root = null;
    this.view = null;
    this.fitted = null; // the least scale of a view that fits the box (null: the learner's own view)
    this.bounds = { x: 0, y: 0, w: 100, h: 100 };
    this.listeners = []; // called after every change of the view (the minimap)
    this.box = null; // the size the svg shows in, once observed
    this.install();
  }

  // The root group of a drawing, and the box of the whole of it.
  attach(root, bounds) {
    this.root = root;
    this.bounds = bounds;
  }

  size() {
    const rect = this.box || this.svg.getBoundingClientRect();
    return { width: rect.width || this.bounds.w, height: rect.height || this.bounds.h };
  }

  apply() {
    const v = this.view;
    const { width, height } = this.size();
    const s = Math.min(width / v.w, height / v.h);
    const tx = -v.x * s + (width - v.w * s) / 2;
    const ty = -v.y * s + (height - v.h * s) / 2;
    this.transform = { s, tx, ty };
    if (this.root) {
      this.root.setAttribute("transform", `translate(${tx.toFixed(2)},${ty.toFixed(2)}) scale(${s.toFixed(5)})`);
    }
    for (const listener of this.listeners) listener(this);
  }

  // The view of the drawing's box `b` at scale s: centred on it, or, where the screen
  // holds less than all of it, on `focus` (a point of the drawing), kept inside b.
  viewAt(s, focus) {
    const b = this.bounds;
    const { width, height } = this.size();
    const w = width / s;
    const h = height / s;
    const place = (start, length, span, at) => {
      if (span <= length) return start + span / 2 - length / 2;
      return Math.min(Math.max(at - length / 2, start), start + span - length);
    };
    const fx = focus ? focus.x : b.x + b.w / 2;
    const fy = focus ? focus.y : b.y + b.h / 2;
    return { x: place(b.x, w, b.w, fx), y: place(b.y, h, b.h, fy), w, h };
  }

  // The scale that shows all of the drawing, within [lowest, MAX_FIT].
  fitScale(lowest = 0) {
    const b = this.bounds;
    const { width, height } = this.size();
    return Math.min(Math.max(Math.min(width / b.w, height / b.h), lowest), MAX_FIT);
  }

  // Everything, but never blown up past MAX_FIT.
  fit() {
    this.view = this.viewAt(this.fitScale());
    this.fitted = 0; // a fitted view follows the box's size (resized())
    this.apply();
  }

  // The whole width, never blown up past MAX_FIT, about the same middle height: a tall
  // network's layers side by side, panned up and down.
  fitWidth() {
    const { width } = this.size();
    const s = Math.min(width / this.bounds.w, MAX_FIT);
    const v = this.view;
    this.view = this.viewAt(s, v ? { x: v.x + v.w / 2, y: v.y + v.h / 2 } : null);
    this.fitted = null;
    this.apply();
  }

  // Centre the view on a drawing point, zooming in to a readable scale if the view is
  // further out than that (a node found by name is then big enough to see).
  centerOn(p) {
    if (!this.view || !this.transform) return;
    const s = Math.max(this.transform.s, MIN_READABLE);
    const { width, height } = this.size();
    this.view = { x: p.x - width / s / 2, y: p.y - height / s / 2, w: width / s, h: height / s };
    this.fitted = null;
    this.apply();
  }

  // Pan (never zoom) so that the view's middle is the drawing point (x, y).
  panTo(x, y) {
    if (!this.view) return;
    const v = this.view;
    this.view = { ...v, x: x - v.w / 2, y: y - v.h / 2 };
    this.fitted = null;
    this.apply();
  }

  // The first view of a drawing: all of it at a scale between MIN_READABLE and MAX_FIT;
  // a drawing too big for that opens at MIN_READABLE on its output (`focus`).
  initial(focus = null) {
    const b = this.bounds;
    const s = this.fitScale(MIN_READABLE);
    // the output's end: its right edge at the right of the screen
    const at = focus ? { x: Math.max(focus.x, b.x + b.w - this.size().width / s / 2), y: focus.y } : null;
    this.view = this.viewAt(s, at);
    this.fitted = MIN_READABLE;
    this.apply();
  }

  // The box changed size (the window, the program's column folded, the explanation
  // grown): the same middle of the drawing at the same scale; a view that was fitted
  // (not zoomed since) fits the new box, from the same middle.
  resized() {
    if (!this.view || !this.transform) return;
    const v = this.view;
    const s = this.fitted === null ? this.transform.s : this.fitScale(this.fitted);
    this.view = this.viewAt(s, { x: v.x + v.w / 2, y: v.y + v.h / 2 });
    this.apply();
  }

  // Pan (never zoom) so that a node at layout position `p` is inside the view.
  reveal(p) {
    if (!this.view) return;
    const v = this.view;
    const margin = 60;
    // the node, and under it its numbers when it is a tensor
    const box = p.view
      ? { left: Math.min(p.x - margin, p.x + p.view.x - 10), right: Math.max(p.x + margin, p.x + p.view.x + p.view.w + 10),
          top: p.y - margin, bottom: p.y + p.view.y + p.view.h + 10 }
      : Viewport.spanOf([p], margin);
    // a folded box or an input with its numbers (a room of its own): as little as it takes
    if (p.left !== undefined && this.fits(box)) {
      this.panOver(box);
      return;
    }
    const outX = box.left < v.x || box.right > v.x + v.w;
    const outY = box.top < v.y || box.bottom > v.y + v.h;
    if (!outX && !outY) return;
    const wide = box.right - box.left > v.w * 0.7;
    let x = wide || !p.view ? p.x - v.w * 0.3 : box.left - 20;
    if (p.left !== undefined) x = Math.min(x, box.left); // its left end shown
    x = Math.max(this.bounds.x, x);
    if (x - this.bounds.x < v.w * 0.3) x = this.bounds.x;  // near the left end: show all of it
    this.view = {
      ...v,
      x: outX ? x : v.x,
      y: outY ? (box.top + box.bottom) / 2 - v.h / 2 : v.y,
    };
    this.apply();
  }

  // The box around nodes at layout positions, in drawing units: each node's own room at
  // its left and right when it says (`left`, `right`: a folded box, an input and its
  // numbers), else a margin.
  static spanOf(points, margin = 60) {
    const span = { left: Infinity, right: -Infinity, top: Infinity, bottom: -Infinity };
    for (const p of points) {
      span.left = Math.min(span.left, p.x - (p.left === undefined ? margin : p.left + 10));
      span.right = Math.max(span.right, p.x + (p.right === undefined ? margin : p.right + 10));
      span.top = Math.min(span.top, p.y - margin);
      span.bottom = Math.max(span.bottom, p.y + margin);
    }
    return span;
  }

  // Whether a box of the drawing fits in the view (at its scale).
  fits(span) {
    return Boolean(this.view) && span.right - span.left <= this.view.w && span.bottom - span.top <= this.view.h;
  }

  // Pan (never zoom) to the first of some lists of node positions that fit in the view
  // together; when none does, to the first node of the last list. One node is revealed
  // as `reveal` does it.
  revealFirstFitting(choices) {
    for (const points of choices) {
      if (points.length < 2) continue;
      const span = Viewport.spanOf(points);
      if (this.fits(span)) {
        this.panOver(span);
        return;
      }
    }
    const one = choices.find((points) => points.length === 1) || choices[choices.length - 1];
    if (one && one.length) this.reveal(one[0]);
  }

  // Pan (never zoom) so that a box of the drawing that fits in the view is in it: as
  // little as that takes, the drawing's left end shown whole when it is near.
  panOver(span) {
    const v = this.view;
    let { x, y } = v;
    if (span.left < v.x) x = span.left;
    else if (span.right > v.x + v.w) x = span.right - v.w;
    if (x !== v.x && x - this.bounds.x < v.w * 0.3 && span.right <= this.bounds.x + v.w) x = this.bounds.x;
    if (span.top < v.y || span.bottom > v.y + v.h) y = (span.top + span.bottom) / 2 - v.h / 2;
    if (x === v.x && y === v.y) return;
    this.view = { ...v, x, y };
    this.apply();
  }

  zoom(factor, cx = null, cy = null) {
    this.fitted = null;
    const v = this.view;
    const px = cx ?? v.x + v.w / 2;
    const py = cy ?? v.y + v.h / 2;
    const w = Math.min(Math.max(v.w * factor, 40), this.bounds.w * 20);
    const h = v.h * (w / v.w);
    this.view = { x: px - (px - v.x) * (w / v.w), y: py - (py - v.y) * (h / v.h), w, h };
    this.apply();
  }

  // Screen point to drawing coordinates, and drawing units per screen pixel.
  toSvg(clientX, clientY) {
    const rect = this.svg.getBoundingClientRect();
    const { s, tx, ty } = this.transform;
    return [(clientX - rect.left - tx) / s, (clientY - rect.top - ty) / s, 1 / s];
  }

  install() {
    const svg = this.svg;
    // the box can change without the window (the editor folded away, a panel grown)
    const wrap = svg.parentElement;
    if (typeof ResizeObserver === "function" && wrap) {
      new ResizeObserver((entries) => {
        const { width, height } = entries[entries.length - 1].contentRect;
        if (this.box && this.box.width === width && this.box.height === height) return;
        this.box = { width, height };
        svg.style.width = `${width}px`;
        svg.style.height = `${height}px`;
        this.resized();
      }).observe(wrap);
    } else {
      window.addEventListener("resize", () => this.resized());
    }
    const pointers = new Map();
    let last = null;
    svg.addEventListener("wheel", (e) => {
      if (!this.view) return;
      e.preventDefault();
      const [x, y] = this.toSvg(e.clientX, e.clientY);
      this.zoom(Math.exp(e.deltaY * 0.0015), x, y);
    }, { passive: false });
    svg.addEventListener("pointerdown", (e) => {
      if (!this.view || e.target.closest(".node")) return;
      pointers.set(e.pointerId, [e.clientX, e.clientY]);
      svg.setPointerCapture(e.pointerId);
      last = null;
    });
    svg.addEventListener("pointermove", (e) => {
      if (!pointers.has(e.pointerId)) return;
      const prev = pointers.get(e.pointerId);
      pointers.set(e.pointerId, [e.clientX, e.clientY]);
      this.fitted = null;
      if (pointers.size === 1) {
        const [, , scale] = this.toSvg(e.clientX, e.clientY);
        this.view.x -= (e.clientX - prev[0]) * scale;
        this.view.y -= (e.clientY - prev[1]) * scale;
        this.apply();
      } else if (pointers.size === 2) {
        const [p, q] = [...pointers.values()];
        const dist = Math.hypot(p[0] - q[0], p[1] - q[1]);
        if (last) {
          const [x, y] = this.toSvg((p[0] + q[0]) / 2, (p[1] + q[1]) / 2);
          this.zoom(last / dist, x, y);
        }
        last = dist;
      }
    });
    const end = (e) => { pointers.delete(e.pointerId); last = null; };
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
  }
}
