// Where everything in the circuit goes, with no DOM: the nodes where the server's layout
// put them (its columns pushed apart where labels need room), the wires through them, and
// every label placed where it overlaps nothing (labels.js).
//
// A wire's value (above) and gradient (below) belong to it and sit along it, from its
// start (where cs231n writes them) towards its end, moving further from the wire when
// that is crowded. An input used more than once shows the sum of its gradients beside
// it, and its value after an update step; those lines sit under it, or left of it, or
// above. Placement reads the texts of the end of the pass, so nothing moves while the
// stepper plays; a column gap where some label found no room widens, and all is placed
// again.

import { place, WireSet } from "./labels.js";
import { sampleWire, yAt, yRange } from "./wires.js";

export const R = 22; // a gate's radius
export const LEAF_W = 28; // half the width of an input's or a constant's box
export const LEAF_H = 15; // half its height
const STUB = 70; // px of the output's wire
export const GAP = 4; // px between a wire and its labels
export const AWAY = [0, 6, 14, 24]; // further from the wire, px
const PAIRS = 3; // ways of sitting tried per place along a wire (the closest to it)
const ALONG = 6; // px between two positions along a wire
const ROOM = 16; // px more than the label a widened column gap gets
const ROUNDS = 8; // placements at most (each after widening where labels found no room)
const SMALL = 30; // wires up to which a circuit widens to keep labels off their siblings
const MAX_ROOM = 4; // a gap widens by at most this many times the widest label that asked
const PAD = 1.5; // px kept clear around every label (the white halo)

function textBox(m, cx, baseline, pad = PAD) {
  return [cx - m.w / 2 - pad, baseline + m.top - pad, cx + m.w / 2 + pad, baseline + m.top + m.h + pad];
}

// x -> x moved right by the room added to every column gap left of it.
function shifter(columns, extra) {
  const cum = [0];
  for (let k = 0; k < columns.length - 1; k += 1) cum.push(cum[k] + (extra[k] || 0));
  return (x) => {
    let lo = 0;
    let hi = columns.length - 1;
    while (lo < hi) {  // the last column at or left of x
      const mid = (lo + hi + 1) >> 1;
      if (columns[mid] <= x + 0.5) lo = mid;
      else hi = mid - 1;
    }
    return x + (columns.length ? cum[lo] : 0);
  };
}

function columnOf(columns, x) {
  let k = 0;
  while (k + 1 < columns.length && columns[k + 1] <= x + 0.5) k += 1;
  return k;
}

// The boxes a node takes whatever the step: its shape, name, shape badge, marks, ± handle
// and tensor numbers.
export function nodeBoxes(node, p, meter) {
  const { x, y } = p;
  const out = [];
  if (node.kind === "gate") {
    out.push([x - R - 1, y - R - 1, x + R + 1, y + R + 1]);
    if (node.name) out.push(textBox(meter("name", node.name), x, y - R - 8));
  } else {
    out.push([x - LEAF_W - 1, y - LEAF_H - 1, x + LEAF_W + 1, y + LEAF_H + 1]);
    const m = meter("leafSymbol", node.symbol);
    if (m.w > 2 * LEAF_W) out.push(textBox(m, x, y + 5));
  }
  if (node.badge) {
    const top = node.kind === "gate" ? -R - (node.name ? 22 : 8) : -21;
    out.push(textBox(meter("badge", node.badge), x, y + top));
  }
  if (node.warned) out.push(textBox(meter("warn", "⚠"), x + R - 2, y - R + 6));
  if (node.check) out.push(textBox(meter("check", "✓"), x - R - 12, y + 5));
  if (node.handle) {
    const hx = x + R - 2;
    const hy = y + R - 2;
    out.push([hx - 9, hy - 9, hx + 9, hy + 9]);
    out.push(textBox(meter("handle", "+"), hx, hy + 4.5));
  }
  if (p.view) {
    const v = p.view;
    out.push([x + v.x - 3, y + v.y - 3, x + v.x + v.w + 3, y + v.y + v.h + 3]);
  }
  return out;
}

// Candidates of an input's lines (its gradient sum, its updated value): under it, left
// of it, above it, then further away.
export function* stackCandidates(node, p, lines) {
  const h = lines.reduce((s, m) => s + m.h, 0);
  const w = Math.max(...lines.map((m) => m.w));
  const at = (cx, top) => {
    let y = top;
    const boxes = [];
    const spots = [];
    for (const m of lines) {
      spots.push([cx, y - m.top]);
      boxes.push(textBox(m, cx, y - m.top));
      y += m.h;
    }
    return { boxes, spots };
  };
  const left = p.x - LEAF_W - (node.check ? 18 : 0) - 4 - w / 2;
  const clear = LEAF_H + 1 + PAD + 1; // from the node's centre to the first line's top
  for (const away of AWAY) {
    yield at(p.x, p.y + clear + away);
    yield at(left - away, p.y - h / 2);
    yield at(p.x, p.y - clear - h - away);
    yield at(left - away, p.y + 4);
    yield at(left - away, p.y - h - 4);
  }
}

// The ways a label of width `m.w` can sit at x = c on the wire: centred on c, or
// starting or ending there (on a sloping wire, the end the wire falls away from lets it
// sit close), nearest first; `above` for the value, else the gradient. `edge` is the
// wire's highest (above) or lowest y under the box.
function alignments(wire, m, c, above) {
  const y = yAt(wire, c);
  const out = [];
  for (const dx of [0, m.w / 2, -m.w / 2]) {
    const range = yRange(wire, c + dx - m.w / 2, c + dx + m.w / 2);
    const edge = range ? range[above ? 0 : 1] : y;
    out.push({ cx: c + dx, edge, distance: Math.abs(edge - y) + (dx ? 1 : 0) });
  }
  return out.sort((p, q) => p.distance - q.distance);
}

// Candidates of a wire's pair of labels: along the wire from its start, the value above
// and the gradient below, hugging the wire, then each a little further away in turn.
function* wireCandidates(wire, value, grad, from, to) {
  const w = Math.max(value ? value.w : 0, grad ? grad.w : 0);
  const inside = (m, spot) => !m || (spot.cx - m.w / 2 >= from - 0.01 && spot.cx + m.w / 2 <= to + 0.01);
  // the ways the pair can sit, in order along the wire: those between its ends, else
  // the middle however it fits
  const spots = [];  // filled as level 0 walks the wire, read again by the levels after
  const at = (c, all) => {
    const vs = value ? alignments(wire, value, c, true) : [null];
    const gs = grad ? alignments(wire, grad, c, false) : [null];
    const pairs = [];
    for (const v of vs) {
      if (!all && !inside(value, v)) continue;
      for (const g of gs) {
        if (all || inside(grad, g)) pairs.push([v, g, (v ? v.distance : 0) + (g ? g.distance : 0)]);
      }
    }
    pairs.sort((p, q) => p[2] - q[2]);
    return pairs.slice(0, PAIRS);
  };
  function* walk() {
    if (to - from >= w + 2 * PAD) {
      for (let c = from + PAD; c <= to - PAD + 0.01; c += ALONG) {
        for (const pair of at(c, false)) {
          spots.push(pair);
          yield pair;
        }
      }
    }
    if (!spots.length) {
      for (const pair of at((from + to) / 2, true)) {
        spots.push(pair);
        yield pair;
      }
    }
  }
  // one candidate, rewritten for each try (labels.js copies the one it keeps)
  const vBox = [0, 0, 0, 0];
  const gBox = [0, 0, 0, 0];
  const candidate = { boxes: [value && vBox, grad && gBox].filter(Boolean),
                      value: value ? [0, 0] : null, grad: grad ? [0, 0] : null };
  const put = (m, box, spot, cx, base) => {
    spot[0] = cx;
    spot[1] = base;
    box[0] = cx - m.w / 2 - PAD;
    box[1] = base + m.top - PAD;
    box[2] = cx + m.w / 2 + PAD;
    box[3] = base + m.top + m.h + PAD;
  };
  for (let level = 0; level < AWAY.length; level += 1) {
    for (const [v, g] of level ? spots : walk()) {
      for (let a = 0; a <= level; a += 1) {
        for (let b = 0; b <= level; b += 1) {
          if (Math.max(a, b) !== level) continue;
          if (v) put(value, vBox, candidate.value, v.cx, v.edge - GAP - AWAY[a] - (value.top + value.h));
          if (g) put(grad, gBox, candidate.grad, g.cx, g.edge + GAP + AWAY[b] - grad.top);
          yield candidate;
        }
      }
    }
  }
}

// Lay out the circuit. `model`: { nodes: [{id, kind, p, name, symbol, badge, warned,
// check, handle, lines: [{kind, text}]}], edges: [{from, to, route, seen, value, grad}]
// (to null for the output's wire) }; `meter(kind, text)` measures a text.
export function arrange(model, meter, { softWires = true, start = null } = {}) {
  const columnSet = new Set();
  for (const node of model.nodes) columnSet.add(node.p.x);
  for (const edge of model.edges) for (const pt of edge.route || []) columnSet.add(pt[0]);
  const columns = [...columnSet].sort((a, b) => a - b);
  // the room the last answer of this circuit needed (its numbers were much the same)
  const extra = start && start.length === columns.length - 1 ? [...start]
    : new Array(Math.max(0, columns.length - 1)).fill(0);
  let result = null;
  for (let round = 0; round < ROUNDS; round += 1) {
    result = placeOnce(model, meter, columns, extra, softWires);
    // in a small circuit, a label that could only sit across a wire leaving or entering
    // the same node as its own (so it seems to be that wire's) asks for room too
    const crossed = model.edges.length <= SMALL ? result.crossed : [];
    const needs = [...result.failed, ...crossed.filter(({ item, wire }) => {
      const own = item.wire && item.wire.ends;
      if (!own) return false;
      return wire.ends && (wire.ends[0] === own[0] || wire.ends[1] === own[1]);
    }).map(({ item }) => item)];
    if (!needs.length) break;
    let grew = false;
    const wanted = new Map(); // gap -> the most room a label there asks for
    for (const need of needs) {
      if (need.gap < 0 || need.gap >= extra.length) continue;
      wanted.set(need.gap, Math.max(wanted.get(need.gap) || 0, need.room));
    }
    for (const [gap, room] of wanted) {  // half of it at a time: often that is enough
      if (extra[gap] < MAX_ROOM * room) {
        extra[gap] += room / 2;
        grew = true;
      }
    }
    if (!grew) break;
  }
  result.extra = extra;
  return result;
}

// Where a wire runs: along the layout's route (x moved by `shift`), from its source's
// right side to its target's left (a second wire between the same two nodes ends a
// little lower); the output's is a stub as long as its labels need. `from` and `to`: the
// x range its labels may take. `a`, `b`: {node, p} of its ends (b undefined for the output's).
export function wireGeometry(edge, a, b, shift, value, grad) {
  const startX = a.p.x + (a.node.kind === "gate" ? R : LEAF_W);
  if (edge.to === null) {
    const w = Math.max(value ? value.w : 0, grad ? grad.w : 0);
    const len = Math.max(STUB, w + 2 * PAD + 24);
    return { points: [[a.p.x + R, a.p.y], [startX + len, a.p.y]], from: startX + 2, to: startX + len };
  }
  const points = edge.route.map((pt) => [shift(pt[0]), pt[1]]);
  points[0] = [points[0][0] + R, points[0][1]];
  points[points.length - 1] = [b.p.x - R, b.p.y + (edge.seen ? 8 * edge.seen : 0)];
  return { points, from: startX + 2, to: b.p.x - (b.node.kind === "gate" ? R : LEAF_W) - 2 };
}

// A wire's labels as an item to place (labels.js).
export function wireItem(e, value, grad) {
  const w = Math.max(value ? value.w : 0, grad ? grad.w : 0);
  return { kind: "wire", entry: e, wire: e.wire, slack: e.to - e.from - w, gap: e.column, room: w + ROOM,
           candidates: () => wireCandidates(e.wire, value, grad, e.from, e.to) };
}

function placeOnce(model, meter, columns, extra, softWires) {
  const shift = shifter(columns, extra);
  const byId = new Map();
  const fixed = [];
  for (const node of model.nodes) {
    const p = { ...node.p, x: shift(node.p.x), column: columnOf(columns, node.p.x) };
    byId.set(node.id, { node, p });
    for (const box of nodeBoxes(node, p, meter)) fixed.push({ box });
  }
  const wires = softWires ? new WireSet(yRange) : null;
  const edges = [];
  for (const edge of model.edges) {
    const a = byId.get(edge.from);
    const value = edge.value ? meter("value", edge.value) : null;
    const grad = edge.grad ? meter("grad", edge.grad) : null;
    const { points, from, to } = wireGeometry(edge, a, byId.get(edge.to), shift, value, grad);
    const wire = sampleWire(points);
    wire.ends = [edge.from, edge.to];
    if (wires) wires.add(wire);
    edges.push({ edge, points, wire, value, grad, from, to, column: a.p.column });
  }
  const items = [];
  for (const { node, p } of byId.values()) {
    const lines = node.lines.map((line) => meter(line.kind, line.text));
    if (!lines.length) continue;
    const w = Math.max(...lines.map((m) => m.w));
    items.push({ kind: "stack", id: node.id, wire: null, candidates: () => stackCandidates(node, p, lines),
                 gap: p.column - 1, room: w + 18 + ROOM });
  }
  const wireItems = edges.filter((e) => e.value || e.grad).map((e) => wireItem(e, e.value, e.grad));
  wireItems.sort((p, q) => p.slack - q.slack);
  items.push(...wireItems);
  const { chosen, failed, crossed } = place(fixed, items, wires);
  const stacks = new Map();
  items.forEach((item, i) => {
    const pick = chosen[i];
    if (item.kind === "stack") stacks.set(item.id, pick.spots);
    else item.entry.labels = { value: pick.value, grad: pick.grad };
  });
  // the drawing's extent: every box, label and wire
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  const grow = (b) => {
    x0 = Math.min(x0, b[0]); y0 = Math.min(y0, b[1]);
    x1 = Math.max(x1, b[2]); y1 = Math.max(y1, b[3]);
  };
  for (const { box } of fixed) grow(box);
  for (const pick of chosen) if (pick) pick.boxes.forEach(grow);
  for (const e of edges) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const y of e.wire.ys) {
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
    grow([e.wire.x0, lo, e.wire.x1, hi]);
  }
  const pos = new Map([...byId].map(([id, { p }]) => [id, p]));
  return {
    pos, stacks, failed, crossed,
    edges: edges.map((e) => ({ points: e.points, labels: e.labels || { value: null, grad: null } })),
    bounds: { x: x0 - 12, y: y0 - 12, w: x1 - x0 + 24, h: y1 - y0 + 24 },
  };
}
