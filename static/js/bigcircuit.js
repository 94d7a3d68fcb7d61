// A big circuit, drawn where the view is. Every node has its <g> from the start (the
// keyboard walks them, the search marks them, each has its accessible name, the step's
// classes show on them), but the shapes, the wires and the texts are made only as the
// view comes near them, a square of the drawing (TILE) at a time, and the texts and
// labels only at a scale that can read them (TEXT_SCALE): zoomed out further, the circuit
// is its gates and wires. The labels are placed as they are made (bigarrange.js), so the
// first drawing of thousands of gates costs what the view shows, not what the circuit
// has; the other nodes' shapes follow while the page is idle.
//
// `circuit`: the CircuitView it draws for (its node and wire records, layers and step).

import { LazyArrangement } from "./bigarrange.js";
import {
  DETAIL, makeEdge, makeNode, placeNode, renderEdge, renderNode, SHAPES, unmakeEdge, unmakeNode,
} from "./circuitparts.js";

const TEXT_SCALE = 0.3; // screen px per drawing px from which texts are drawn (13 px: 4 px)
const TILE = 512; // px of drawing made at a time
const NEAR = 0.25; // of the view's width and height: made beyond each side of it
const LABEL_ROOM = 48; // px from its wire a label may sit
const AROUND = 40; // px around a node's centre its shape, name and marks take
const KEPT = 3000; // wires and detailed nodes kept made; past that, those far from the view go
const FAR = 1; // of the view's width and height: beyond each side of it, "far from the view"
const SHAPES_AT_ONCE = 400; // nodes given their shape in one idle moment

// A square's key: a number (string keys cost a string each lookup).
const tileKey = (i, j) => (i + 1048576) * 2097152 + (j + 1048576);

export class BigDrawing {
  // `model`: bigarrange.js's, for the circuit's nodes and wires in order.
  constructor(circuit, model) {
    this.circuit = circuit;
    const arrangement = new LazyArrangement(model, circuit.meter);
    this.arrangement = arrangement;
    circuit.edges.forEach((edge, i) => { edge.points = arrangement.edges[i].points; });
    // which nodes and wires each square of the drawing holds (a wire with its labels' room)
    const tiles = new Map();
    const add = (box, what, item) => {
      for (let i = Math.floor(box[0] / TILE); i <= Math.floor(box[2] / TILE); i += 1) {
        for (let j = Math.floor(box[1] / TILE); j <= Math.floor(box[3] / TILE); j += 1) {
          let tile = tiles.get(tileKey(i, j));
          if (!tile) {
            tile = { nodes: [], edges: [], made: 0, box: [i * TILE, j * TILE, (i + 1) * TILE, (j + 1) * TILE] };
            tiles.set(tileKey(i, j), tile);
          }
          tile[what].push(item);
        }
      }
    };
    this.boxes = new Map(); // node or wire record -> the box it and its labels take
    for (const view of circuit.nodeViews.values()) {
      const p = arrangement.pos.get(view.id);
      view.p = p;
      const v = p.view; // a tensor's numbers, under it
      const box = v ? [Math.min(p.x - AROUND, p.x + v.x), p.y - AROUND, Math.max(p.x + AROUND, p.x + v.x + v.w),
                       p.y + v.y + v.h]
        : [p.x - AROUND, p.y - AROUND, p.x + AROUND, p.y + AROUND];
      this.boxes.set(view, box);
      add(box, "nodes", view);
    }
    circuit.edges.forEach((edge, i) => {
      const b = arrangement.edges[i].box;
      const box = [b[0], b[1] - LABEL_ROOM, b[2], b[3] + LABEL_ROOM];
      this.boxes.set(edge, box);
      add(box, "edges", edge);
    });
    this.tiles = tiles;
    this.made = new Set(); // the wires made and the nodes made in detail
    this.unmakeAll();
  }

  // Back to the nodes' <g>s alone, in place; their shapes follow (fillShapes).
  unmakeAll() {
    const { circuit } = this;
    for (const edge of circuit.edges) unmakeEdge(edge);
    for (const view of circuit.nodeViews.values()) {
      unmakeNode(view);
      placeNode(view, []);
    }
    for (const tile of this.tiles.values()) tile.made = 0;
    this.made.clear();
    circuit.svg.dataset.labelMisses = String(this.arrangement.missed);
    this.fillShapes();
  }

  // Every node's shape, SHAPES_AT_ONCE at a time while the page is idle (the view's own
  // come first, from materialize()), laid out there and then (not by the next step),
  // until this drawing is replaced.
  fillShapes() {
    const views = [...this.circuit.nodeViews.values()];
    let next = 0;
    const later = (fn) => (typeof requestIdleCallback === "function"
      ? requestIdleCallback(fn, { timeout: 1000 }) : setTimeout(fn, 50));
    const fill = () => {
      if (this.circuit.big !== this) return;
      for (const end = Math.min(next + SHAPES_AT_ONCE, views.length); next < end; next += 1) {
        if (!views[next].shape) makeNode(this.circuit, views[next], SHAPES);
      }
      this.circuit.svg.getBoundingClientRect();
      if (next < views.length) later(fill);
    };
    later(fill);
  }

  // The drawing's rectangle the view shows, grown by `grow` of its size on each side.
  region(grow) {
    const vp = this.circuit.viewport;
    const { s, tx, ty } = vp.transform;
    const { width, height } = vp.size();
    const [w, h] = [width / s, height / s];
    return [-tx / s - w * grow, -ty / s - h * grow, -tx / s + w * (1 + grow), -ty / s + h * (1 + grow)];
  }

  // Past KEPT things made, those far from the view are taken away again (a node back to
  // its shape, a wire altogether); coming back near them makes them again, their labels
  // where they were. The drawing stays the size of what the view has near it.
  trim() {
    if (this.made.size <= KEPT) return;
    const [x0, y0, x1, y1] = this.region(FAR);
    const near = (b) => b[0] <= x1 && b[2] >= x0 && b[1] <= y1 && b[3] >= y0;
    for (const item of this.made) {
      if (near(this.boxes.get(item))) continue;
      this.made.delete(item);
      if (item.node) unmakeNode(item, true);
      else unmakeEdge(item);
    }
    for (const tile of this.tiles.values()) if (!near(tile.box)) tile.made = 0;
  }

  // Make what is in or near the view and not made yet, at the detail the view's scale
  // can read, and show the step on it. Texts made before and now too small to read are
  // hidden ("far", app.css).
  materialize() {
    const { circuit } = this;
    const vp = circuit.viewport;
    if (!vp.transform) return;
    const level = vp.transform.s >= TEXT_SCALE ? DETAIL : SHAPES;
    const root = circuit.root;
    if (root.classList.contains("far") !== (level === SHAPES)) root.classList.toggle("far", level === SHAPES);
    const b = vp.bounds;
    const near = this.region(NEAR);
    const [x0, y0] = [Math.max(near[0], b.x), Math.max(near[1], b.y)];
    const [x1, y1] = [Math.min(near[2], b.x + b.w), Math.min(near[3], b.y + b.h)];
    const nodes = new Set();
    const edges = new Set();
    for (let i = Math.floor(x0 / TILE); i <= Math.floor(x1 / TILE); i += 1) {
      for (let j = Math.floor(y0 / TILE); j <= Math.floor(y1 / TILE); j += 1) {
        const tile = this.tiles.get(tileKey(i, j));
        if (!tile || tile.made >= level) continue;
        tile.made = level;
        for (const view of tile.nodes) if (!(level === DETAIL ? view.detailed : view.shape)) nodes.add(view);
        for (const edge of tile.edges) if (!(level === DETAIL ? edge.detailed : edge.g)) edges.add(edge);
      }
    }
    if (!nodes.size && !edges.size) return;
    this.make(nodes, edges, level);
    this.trim();
  }

  // Make these nodes and wires at `level`, their labels placed, and show the step on them.
  make(nodes, edges, level) {
    const { circuit, arrangement } = this;
    if (level === DETAIL) arrangement.place([...nodes].map((view) => view.id), [...edges].map((edge) => edge.index));
    for (const edge of edges) makeEdge(circuit, edge, level, level === DETAIL ? arrangement.edges[edge.index].labels : null);
    for (const view of nodes) makeNode(circuit, view, level, level === DETAIL ? arrangement.stacks.get(view.id) : []);
    for (const item of edges) this.made.add(item);
    if (level === DETAIL) for (const item of nodes) this.made.add(item);
    circuit.svg.dataset.labelMisses = String(arrangement.missed);
    if (!circuit.shown || circuit.shown.body !== circuit.body) return; // update() shows this answer's step on all
    for (const edge of edges) renderEdge(circuit, edge);
    for (const view of nodes) renderNode(circuit, view);
  }

  // Run `fn` (an export) with all of the drawing made, every label in it; afterwards
  // only what the view shows again.
  whole(fn) {
    const { circuit } = this;
    const far = circuit.root.classList.contains("far");
    circuit.root.classList.remove("far");
    this.make(new Set(circuit.nodeViews.values()), new Set(circuit.edges), DETAIL);
    try {
      return fn();
    } finally {
      this.unmakeAll();
      circuit.root.classList.toggle("far", far);
      this.materialize();
    }
  }
}
