// The circuit's minimap: a small picture of the whole drawing in a corner of the
// circuit, with the view's rectangle on it, shown only while the drawing is larger
// than the view. A click or a drag on it pans the view there. A button above it hides it
// (it covers a corner of the drawing, numbers included) and brings it back; the choice
// is remembered on this browser.
//
// The picture (gates as dots, wires as lines, on a canvas) is drawn once per layout;
// a change of view only moves the rectangle. It reads the circuit view's layout and
// viewport: it is a part of that view, not of the page's state.

const MAX_W = 240; // px, and at most a share of the circuit's box (a phone's is narrow)
const MAX_H = 140;
const MAX_SHARE_W = 0.3;
const MAX_SHARE_H = 0.22;
const MIN_SIDE = 28;
const INSET = 8; // px from the circuit's corner, as the stylesheet places the map
const STORED = "backprop-lab.minimap";

export class Minimap {
  // `text(key)`: the page's words in its language; `storage`: where the choice to hide
  // the map is kept (localStorage), or null.
  constructor(wrap, circuit, { text, storage = null }) {
    this.circuit = circuit;
    this.text = text;
    this.open = readChoice(storage) !== "hidden";
    this.viewport = circuit.viewport;
    this.box = document.createElement("div");
    this.box.className = "minimap";
    this.box.hidden = true;
    this.canvas = document.createElement("canvas");
    this.frame = document.createElement("div");
    this.frame.className = "minimap-view";
    this.box.append(this.canvas, this.frame);
    this.toggle = document.createElement("button");
    this.toggle.type = "button";
    this.toggle.className = "minimap-toggle";
    this.toggle.hidden = true;
    this.toggle.addEventListener("click", () => {
      this.open = !this.open;
      saveChoice(storage, this.open ? "shown" : "hidden");
      this.relabel();
      this.render();
    });
    this.relabel();
    wrap.append(this.box, this.toggle);
    this.drawnFor = null; // the positions the picture was drawn from
    this.viewport.listeners.push(() => this.render());
    const pan = (e) => {
      const rect = this.canvas.getBoundingClientRect();
      const b = this.viewport.bounds;
      this.viewport.panTo(b.x + (e.clientX - rect.left) / this.scale, b.y + (e.clientY - rect.top) / this.scale);
    };
    this.box.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      this.box.setPointerCapture(e.pointerId);
      this.dragging = true;
      pan(e);
    });
    this.box.addEventListener("pointermove", (e) => { if (this.dragging) pan(e); });
    const end = () => { this.dragging = false; };
    this.box.addEventListener("pointerup", end);
    this.box.addEventListener("pointercancel", end);
    this.box.addEventListener("wheel", (e) => e.stopPropagation());
  }

  // The words, in the page's language (called again when it changes).
  relabel() {
    const label = this.text("minimap");
    this.box.setAttribute("aria-label", label);
    this.box.title = label;
    this.toggle.textContent = this.open ? "−" : this.text("minimapShow");
    const action = this.text(this.open ? "minimapHideLabel" : "minimapShowLabel");
    this.toggle.setAttribute("aria-label", action);
    this.toggle.title = action;
    this.toggle.setAttribute("aria-expanded", String(this.open));
  }

  // The picture of the drawing at the minimap's scale.
  draw() {
    const { circuit } = this;
    const b = this.viewport.bounds;
    const box = this.box.parentElement;
    const maxW = Math.min(MAX_W, Math.max(MIN_SIDE * 2, box.clientWidth * MAX_SHARE_W));
    const maxH = Math.min(MAX_H, Math.max(MIN_SIDE * 2, box.clientHeight * MAX_SHARE_H));
    this.scale = Math.min(maxW / b.w, maxH / b.h);
    const w = Math.max(MIN_SIDE, Math.round(b.w * this.scale));
    const h = Math.max(MIN_SIDE, Math.round(b.h * this.scale));
    const ratio = window.devicePixelRatio || 1;
    Object.assign(this.canvas, { width: Math.round(w * ratio), height: Math.round(h * ratio) });
    Object.assign(this.canvas.style, { width: `${w}px`, height: `${h}px` });
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(ratio * this.scale, 0, 0, ratio * this.scale, -b.x * this.scale * ratio, -b.y * this.scale * ratio);
    const pos = circuit.pos;
    ctx.strokeStyle = "#c3cad8";
    ctx.lineWidth = 1 / this.scale;
    ctx.beginPath();
    for (const edge of circuit.edges || []) {
      const a = pos.get(edge.from);
      const z = edge.to ? pos.get(edge.to) : null;
      if (!a || !z) continue;
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(z.x, z.y);
    }
    ctx.stroke();
    ctx.fillStyle = "#5b6b8c";
    const r = Math.min(1 / this.scale, 30); // a pixel, or a gate's own size when it is bigger
    for (const p of pos.values()) ctx.fillRect(p.x - r, p.y - r, 2 * r, 2 * r);
    this.drawnFor = pos;
  }

  // Shown while the drawing does not fit the view; the rectangle is the view.
  render() {
    const { transform } = this.viewport;
    if (!transform || !this.circuit.pos.size) return;
    const b = this.viewport.bounds;
    const { width, height } = this.viewport.size();
    const { s, tx, ty } = transform;
    const bigger = b.w * s > width + 1 || b.h * s > height + 1;
    if (this.toggle.hidden !== !bigger) this.toggle.hidden = !bigger;
    const shown = bigger && this.open;
    if (this.box.hidden !== !shown) this.box.hidden = !shown;
    if (!shown) {
      this.toggle.style.bottom = `${INSET}px`;
      return;
    }
    if (this.drawnFor !== this.circuit.pos) {
      this.draw();
      this.raised = `${INSET + this.box.offsetHeight + 4}px`; // the button just above the map
    }
    this.toggle.style.bottom = this.raised;
    const k = this.scale;
    const x = (-tx / s - b.x) * k;
    const y = (-ty / s - b.y) * k;
    Object.assign(this.frame.style, {
      left: `${x.toFixed(1)}px`, top: `${y.toFixed(1)}px`,
      width: `${(width / s * k).toFixed(1)}px`, height: `${(height / s * k).toFixed(1)}px`,
    });
  }
}

function readChoice(storage) {
  try {
    return storage ? storage.getItem(STORED) : null;
  } catch {
    return null; // storage refused (a private window): the map shows
  }
}

function saveChoice(storage, choice) {
  try {
    if (storage) storage.setItem(STORED, choice);
  } catch {
    // not kept: it still holds for this page
  }
}
