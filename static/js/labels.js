// Labels placed, not stacked (Graphviz's xlabel placement), with no DOM: every label is
// tried at its candidate positions in turn, and the first that overlaps nothing placed
// so far wins. A candidate that only crosses another wire is kept as a second choice; a
// label with no free candidate at all is reported, so the layout can make room for it.
//
// A box is [x0, y0, x1, y1] in drawing coordinates.

const CELL = 48; // px of the grid the boxes are hashed into
const MAX_TRIES = 1000; // candidates tried per label at most
const MORE_TRIES = 200; // … and after one that crosses another wire, this many more

export function overlaps(a, b, tolerance = 0) {
  return a[0] < b[2] - tolerance && b[0] < a[2] - tolerance
    && a[1] < b[3] - tolerance && b[1] < a[3] - tolerance;
}

// A grid cell's key: a number (string keys cost a string each lookup).
const key = (i, j) => (i + 1048576) * 2097152 + (j + 1048576);

// Boxes hashed into a grid of CELL px: "does this box overlap any?" looks at a few cells.
export class BoxSet {
  constructor() {
    this.cells = new Map();
    this.boxes = [];
  }

  add(box) {
    const index = this.boxes.length;
    this.boxes.push(box);
    for (let i = Math.floor(box[0] / CELL); i <= Math.floor(box[2] / CELL); i += 1) {
      for (let j = Math.floor(box[1] / CELL); j <= Math.floor(box[3] / CELL); j += 1) {
        const list = this.cells.get(key(i, j));
        if (list) list.push(index);
        else this.cells.set(key(i, j), [index]);
      }
    }
  }

  // Does `box` overlap any box?
  hits(box) {
    for (let i = Math.floor(box[0] / CELL); i <= Math.floor(box[2] / CELL); i += 1) {
      for (let j = Math.floor(box[1] / CELL); j <= Math.floor(box[3] / CELL); j += 1) {
        const list = this.cells.get(key(i, j));
        if (!list) continue;
        for (const index of list) {
          if (overlaps(box, this.boxes[index])) return true;
        }
      }
    }
    return false;
  }
}

// Wires hashed by the cells their samples pass through, for "does this box cross a wire
// other than its own?" (wires.js's sampled form: y every few px of x).
export class WireSet {
  constructor(yRange) {
    this.yRange = yRange;
    this.cells = new Map();
    this.wires = [];
    this.seen = [];
    this.stamp = 0;
  }

  add(wire) {
    const index = this.wires.length;
    this.wires.push(wire);
    this.seen.push(0);
    const seen = new Set();
    const { ys, x0, step } = wire;
    for (let k = 0; k < ys.length; k += 1) {
      const x = x0 + k * step;
      const lo = Math.min(ys[k], ys[Math.min(k + 1, ys.length - 1)]);
      const hi = Math.max(ys[k], ys[Math.min(k + 1, ys.length - 1)]);
      for (let j = Math.floor(lo / CELL); j <= Math.floor(hi / CELL); j += 1) {
        const k = key(Math.floor(x / CELL), j);
        if (seen.has(k)) continue;
        seen.add(k);
        const list = this.cells.get(k);
        if (list) list.push(index);
        else this.cells.set(k, [index]);
      }
    }
  }

  // The first wire other than `own` that `box` crosses, or null.
  crosses(box, own) {
    const stamp = ++this.stamp;
    for (let i = Math.floor(box[0] / CELL); i <= Math.floor(box[2] / CELL); i += 1) {
      for (let j = Math.floor(box[1] / CELL); j <= Math.floor(box[3] / CELL); j += 1) {
        const list = this.cells.get(key(i, j));
        if (!list) continue;
        for (const index of list) {
          if (this.seen[index] === stamp) continue;
          this.seen[index] = stamp;
          const wire = this.wires[index];
          if (wire === own) continue;
          const range = this.yRange(wire, box[0], box[2]);
          if (range && range[0] < box[3] && box[1] < range[1]) return wire;
        }
      }
    }
    return null;
  }
}

// A copy of a candidate (a generator may rewrite the one it yields for the next try).
function keep(candidate) {
  const out = {};
  for (const [k, v] of Object.entries(candidate)) {
    out[k] = Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? [...x] : x)) : v;
  }
  return out;
}

// Place every item, in order, among the `fixed` boxes ([{box}]: nodes, names, badges).
// An item is { candidates(): iterable of { boxes, … }, wire } (`wire`: its own, which it
// may touch; null for a label of a node). Returns the chosen candidate per item (the
// first one where none was free), the items that found no free place, and those that
// found one only across another wire ({item, wire}).
export function place(fixed, items, wires = null) {
  const space = new BoxSet();
  for (const { box } of fixed) space.add(box);
  return placeInto(space, items, wires);
}

// The same among the boxes of `space` (a BoxSet), which every choice joins: a big
// circuit places its labels a region at a time into one space. With `fallback` false,
// an item with no free place gets null and takes no room.
export function placeInto(space, items, wires = null, { fallback = true } = {}) {
  const chosen = [];
  const failed = [];
  const crossed = [];
  for (const item of items) {
    let first = null;
    let soft = null;
    let pick = null;
    let tries = 0;
    let softTries = 0;
    for (const candidate of item.candidates()) {
      if (first === null) first = keep(candidate);
      if (++tries > MAX_TRIES) break;
      if (candidate.boxes.some((b) => space.hits(b))) continue;
      if (soft !== null && tries > softTries) break;
      let crossing = null;
      for (let k = 0; wires && !crossing && k < candidate.boxes.length; k += 1) {
        crossing = wires.crosses(candidate.boxes[k], item.wire);
      }
      if (crossing) {
        if (soft === null) {
          soft = { ...keep(candidate), crossing };
          softTries = tries + MORE_TRIES;
        }
        continue;
      }
      pick = keep(candidate);
      break;
    }
    if (!pick && soft) crossed.push({ item, wire: soft.crossing });
    pick = pick || soft;
    if (!pick) failed.push(item);
    if (fallback) pick = pick || first;
    chosen.push(pick);
    if (pick) for (const b of pick.boxes) space.add(b);
  }
  return { chosen, failed, crossed };
}
