// The circuit's viewport: which rectangle of the drawing is on screen, changed by the
// wheel, a drag, a pinch, Fit, and the stepper panning to the node it is about.
//
// The view (a rectangle of drawing coordinates) becomes a transform on the root group:
// changing a transform costs well under a millisecond, where a new viewBox re-lays out
// every element of the drawing.

const MIN_READABLE = 0.7; // the smallest scale at which labels can still be read

export class Viewport {
  constructor(svg) {
    this.svg = svg;
    this.root = null;
    this.view = null;
    this.bounds = { x: 0, y: 0, w: 100, h: 100 };
    this.install();
  }

  // A new drawing: its root group and the box of the whole of it.
  attach(root, bounds) {
    this.root = root;
    this.bounds = bounds;
  }

  apply() {
    const v = this.view;
    const rect = this.svg.getBoundingClientRect();
    const width = rect.width || v.w;
    const height = rect.height || v.h;
    const s = Math.min(width / v.w, height / v.h);
    const tx = -v.x * s + (width - v.w * s) / 2;
    const ty = -v.y * s + (height - v.h * s) / 2;
    this.transform = { s, tx, ty };
    if (this.root) {
      this.root.setAttribute("transform", `translate(${tx.toFixed(2)},${ty.toFixed(2)}) scale(${s.toFixed(5)})`);
    }
  }

  fit() {
    this.view = { ...this.bounds };
    this.apply();
  }

  // The whole circuit when it is readable at that size; otherwise its left end (the
  // inputs) at a readable scale, and the stepper pans along as it moves.
  initial() {
    const rect = this.svg.getBoundingClientRect();
    const b = this.bounds;
    const scale = Math.min(rect.width / b.w, rect.height / b.h) || 1;
    if (scale >= MIN_READABLE) {
      this.fit();
      return;
    }
    const w = rect.width / MIN_READABLE;
    const h = rect.height / MIN_READABLE;
    this.view = { x: b.x, y: b.y + (b.h - h) / 2, w, h };
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
      : { left: p.x - margin, right: p.x + margin, top: p.y - margin, bottom: p.y + margin };
    const outX = box.left < v.x || box.right > v.x + v.w;
    const outY = box.top < v.y || box.bottom > v.y + v.h;
    if (!outX && !outY) return;
    const wide = box.right - box.left > v.w * 0.7;
    let x = Math.max(this.bounds.x, wide || !p.view ? p.x - v.w * 0.3 : box.left - 20);
    if (x - this.bounds.x < v.w * 0.3) x = this.bounds.x;  // near the left end: show all of it
    this.view = {
      ...v,
      x: outX ? x : v.x,
      y: outY ? (box.top + box.bottom) / 2 - v.h / 2 : v.y,
    };
    this.apply();
  }

  zoom(factor, cx = null, cy = null) {
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
    window.addEventListener("resize", () => this.view && this.apply());
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
