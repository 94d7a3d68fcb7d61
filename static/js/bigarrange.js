// A big circuit laid out in place, its labels placed only where asked (circuit.js asks
// for what the view is about to show). arrange() places every label of a circuit at
// once and widens a column gap where one finds no room, again and again: seconds for
// thousands of gates, and a widened gap moves everything right of it. Here the nodes
// stay where the server's layout put them, the wires run through them, and the labels
// of the nodes and wires asked for are placed the same way (arrange.js's candidates,
// labels.js's placement), each where it overlaps no node and no label placed before;
// a placed label stays put.

import { AWAY, GAP, LEAF_H, LEAF_W, nodeBoxes, R, stackCandidates, wireGeometry, wireItem } from "./arrange.js";
import { BoxSet, placeInto } from "./labels.js";
import { sampleWire } from "./wires.js";

const CELL = 512; // px squares the nodes are filed under: their boxes join the space a square at a time
const LABEL_ROOM = 48; // px from its wire a label may sit
const CHAR = 9; // px a character of a node's texts takes at most

// Where a node's boxes (arrange.js's nodeBoxes) can reach, without measuring its texts.
function reachOf(node, p) {
  const chars = Math.max(node.name ? node.name.length : 0, node.badge ? node.badge.length : 0,
                         node.kind === "gate" ? 0 : node.symbol.length);
  const half = Math.max(R + 20, LEAF_W + 2, (chars * CHAR) / 2 + 4);
  const box = [p.x - half, p.y - R - 40, p.x + half, p.y + Math.max(R, LEAF_H) + 4];
  const v = p.view; // a tensor's numbers
  return v ? [Math.min(box[0], p.x + v.x - 4), box[1], Math.max(box[2], p.x + v.x + v.w + 4),
              Math.max(box[3], p.y + v.y + v.h + 4)] : box;
}

// A label with no free place is not drawn (`missed` counts them): its numbers are in the
// wire's tooltip and the explanation. The nodes' own boxes join the space a square at a
// time, before the first label near them is placed.
//
// `model`: { nodes: [{id, kind, p, name, symbol, badge, warned, check, handle}], edges:
// [{from, to, route, seen}], lines(id): a node's [{kind, text}] (arrange's `lines`),
// texts(i): the i-th wire's {value, grad} ("" for none) }.
export class LazyArrangement {
  constructor(model, meter) {
    this.model = model;
    this.meter = meter;
    this.byId = new Map();
    this.pos = new Map();
    this.space = new BoxSet();
    this.stacks = new Map(); // node id -> the spots of its lines once placed (null: no free place)
    this.missed = 0;
    this.reach = []; // the boxes of the labels placed
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    const grow = (b) => {
      if (b[0] < x0) x0 = b[0];
      if (b[1] < y0) y0 = b[1];
      if (b[2] > x1) x1 = b[2];
      if (b[3] > y1) y1 = b[3];
    };
    this.cells = new Map(); // square -> the nodes whose boxes may reach into it
    for (const node of model.nodes) {
      const p = { ...node.p };
      const record = { node, p, boxed: false };
      this.byId.set(node.id, record);
      this.pos.set(node.id, p);
      const reach = reachOf(node, p);
      grow(reach);
      for (let i = Math.floor(reach[0] / CELL); i <= Math.floor(reach[2] / CELL); i += 1) {
        for (let j = Math.floor(reach[1] / CELL); j <= Math.floor(reach[3] / CELL); j += 1) {
          const key = `${i},${j}`;
          if (!this.cells.has(key)) this.cells.set(key, []);
          this.cells.get(key).push(record);
        }
      }
    }
    const same = (x) => x;
    this.edges = model.edges.map((edge, i) => {
      let value = null;
      let grad = null;
      if (edge.to === null) [value, grad] = this.measured(i);
      const e = wireGeometry(edge, this.byId.get(edge.from), this.byId.get(edge.to), same, value, grad);
      let [lo, hi] = [Infinity, -Infinity];
      for (const [, y] of e.points) {
        if (y < lo) lo = y;
        if (y > hi) hi = y;
      }
      e.box = [e.points[0][0], lo, e.points[e.points.length - 1][0], hi];
      grow(e.box);
      e.labels = null; // {value, grad} spots once placed
      return e;
    });
    // room for the labels above and below the wires, and beside the inputs
    const pad = 12 + GAP + AWAY[AWAY.length - 1] + 16;
    this.bounds = { x: x0 - pad, y: y0 - pad, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad };
  }

  // The boxes of every node that may reach into `box` in the space.
  fill(box) {
    for (let i = Math.floor(box[0] / CELL); i <= Math.floor(box[2] / CELL); i += 1) {
      for (let j = Math.floor(box[1] / CELL); j <= Math.floor(box[3] / CELL); j += 1) {
        const records = this.cells.get(`${i},${j}`);
        if (!records) continue;
        this.cells.delete(`${i},${j}`);
        for (const record of records) {
          if (record.boxed) continue;
          record.boxed = true;
          for (const b of nodeBoxes(record.node, record.p, this.meter)) this.space.add(b);
        }
      }
    }
  }

  // The i-th wire's labels, measured ([value, grad], null for none).
  measured(i) {
    const { value, grad } = this.model.texts(i);
    return [value ? this.meter("value", value) : null, grad ? this.meter("grad", grad) : null];
  }

  // Place the lines of these nodes and the labels of these wires (indexes into
  // model.edges), those not placed yet: the nodes' lines first, then the wires with the
  // least room to spare, as arrange() orders them.
  place(ids, indexes) {
    const items = [];
    for (const id of ids) {
      if (this.stacks.has(id)) continue;
      const lines = this.model.lines(id).map((line) => this.meter(line.kind, line.text));
      this.stacks.set(id, []);
      if (!lines.length) continue;
      const { node, p } = this.byId.get(id);
      const w = Math.max(...lines.map((m) => m.w));
      const h = lines.reduce((sum, m) => sum + m.h, 0);
      this.fill([p.x - LEAF_W - 60 - w, p.y - LEAF_H - 40 - h, p.x + w / 2 + 10, p.y + LEAF_H + 40 + h]);
      items.push({ kind: "stack", id, wire: null, candidates: () => stackCandidates(node, p, lines) });
    }
    const wireItems = [];
    for (const i of indexes) {
      const e = this.edges[i];
      if (e.labels) continue;
      e.labels = { value: null, grad: null };
      const [value, grad] = this.measured(i);
      if (!value && !grad) continue;
      e.wire = e.wire || sampleWire(e.points);
      const w = Math.max(value ? value.w : 0, grad ? grad.w : 0);
      this.fill([e.box[0] - w, e.box[1] - LABEL_ROOM, e.box[2] + w, e.box[3] + LABEL_ROOM]);
      wireItems.push(wireItem(e, value, grad));
    }
    wireItems.sort((p, q) => p.slack - q.slack);
    items.push(...wireItems);
    const { chosen, failed } = placeInto(this.space, items, null, { fallback: false });
    this.missed += failed.length;
    items.forEach((item, k) => {
      const pick = chosen[k];
      if (item.kind === "stack") this.stacks.set(item.id, pick ? pick.spots : null);
      else if (pick) item.entry.labels = { value: pick.value, grad: pick.grad };
      if (pick) pick.boxes.forEach((b) => this.reach.push(b));
    });
  }

  // The box of the drawing with every label placed so far.
  extent() {
    const b = this.bounds;
    let [x0, y0, x1, y1] = [b.x, b.y, b.x + b.w, b.y + b.h];
    for (const box of this.reach) {
      x0 = Math.min(x0, box[0] - 12);
      y0 = Math.min(y0, box[1] - 12);
      x1 = Math.max(x1, box[2] + 12);
      y1 = Math.max(y1, box[3] + 12);
    }
    return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
  }
}
