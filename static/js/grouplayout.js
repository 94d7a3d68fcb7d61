// Where a folded circuit's items go, with no DOM: each collapsed group one box, each
// visible node one gate, and each unfolded group a frame around what it holds.
//
// The layout is nested: a frame's contents are laid out on their own (layers left to
// right, as the server's layout does), then the frame is one big item of the level
// above. Unfolding a group lays out again only what the view shows — a few dozen
// items for micrograd's demo network — so it takes milliseconds, not the seconds of
// laying out its 65,000 gates.

export const BOX_H = 46; // a collapsed group's box
export const BOX_MIN_W = 150;
export const BOX_MAX_W = 300;
export const CHAR_W = 7.3; // px per character of the titles' monospace font (12 px)
export const NODE_W = 64; // a gate's or an input's room: its shape, name and numbers
export const NODE_H = 96;
export const R = 20; // a gate's radius
export const FRAME_PAD = 14; // inside an unfolded group's frame
export const FRAME_TITLE = 28; // its title bar
const GAP_X = 64; // between layers
const GAP_Y = 18; // between items of a layer

// The width a monospace text takes: a wide (CJK) character counts twice.
export function textWidth(text) {
  let n = 0;
  for (const ch of text) n += ch.codePointAt(0) > 0x2e80 ? 2 : 1;
  return n * CHAR_W;
}

export function boxWidth(title) {
  return Math.min(BOX_MAX_W, Math.max(BOX_MIN_W, textWidth(title) + 40));
}

// `tree`: {id, kind: "frame", title, children: [...]} with leaves {id, kind: "box"|"node",
// title?}; `edges`: [[from leaf id, to leaf id]]. Answers {pos: Map id -> {x, y, w, h}
// (top-left corner, drawing coordinates), frames: Map id -> {x, y, w, h}, bounds}.
export function layoutTree(tree, edges) {
  const parentOf = new Map();
  const items = new Map();
  const walk = (item, parent) => {
    parentOf.set(item.id, parent);
    items.set(item.id, item);
    if (item.kind === "frame") for (const child of item.children) walk(child, item);
  };
  walk(tree, null);
  // an edge between two leaves is an edge between the children of their lowest common
  // frame that hold them
  const local = new Map(); // frame id -> Set of "i>j" child index pairs
  const indexIn = new Map(); // item id -> its index among its parent's children
  const index = (item) => {
    if (item.kind === "frame") item.children.forEach((child, k) => { indexIn.set(child.id, k); index(child); });
  };
  index(tree);
  const chain = (id) => {
    const out = [];
    for (let item = items.get(id); item; item = parentOf.get(item.id)) out.push(item);
    return out.reverse();
  };
  for (const [a, b] of edges) {
    const ca = chain(a);
    const cb = chain(b);
    let k = 0;
    while (k < ca.length && k < cb.length && ca[k] === cb[k]) k += 1;
    if (k === 0 || k >= ca.length || k >= cb.length) continue;
    const frame = ca[k - 1];
    if (!local.has(frame.id)) local.set(frame.id, new Set());
    local.get(frame.id).add(`${indexIn.get(ca[k].id)}>${indexIn.get(cb[k].id)}`);
  }
  const rel = new Map(); // item id -> {x, y} relative to its frame's content box
  const size = new Map(); // item id -> {w, h}
  const place = (item) => {
    if (item.kind === "box") {
      size.set(item.id, { w: boxWidth(item.title), h: BOX_H });
      return;
    }
    if (item.kind === "node") {
      size.set(item.id, { w: Math.max(NODE_W, textWidth(item.title || "") + 12), h: NODE_H });
      return;
    }
    item.children.forEach(place);
    const inner = arrange(item.children.map((child) => size.get(child.id)), local.get(item.id) || new Set());
    item.children.forEach((child, k) => rel.set(child.id, inner.pos[k]));
    const top = item === tree ? 0 : FRAME_TITLE;
    const pad = item === tree ? 0 : FRAME_PAD;
    const titleW = item === tree ? 0 : textWidth(item.title) + 60;
    size.set(item.id, { w: Math.max(inner.w + 2 * pad, titleW), h: inner.h + top + pad, top, pad });
  };
  place(tree);
  const pos = new Map();
  const frames = new Map();
  const absolute = (item, x, y) => {
    const s = size.get(item.id);
    if (item.kind !== "frame") {
      pos.set(item.id, { x, y, w: s.w, h: s.h });
      return;
    }
    if (item !== tree) frames.set(item.id, { x, y, w: s.w, h: s.h });
    for (const child of item.children) {
      const r = rel.get(child.id);
      absolute(child, x + s.pad + r.x, y + s.top + r.y);
    }
  };
  const margin = 30;
  absolute(tree, margin, margin);
  const whole = size.get(tree.id);
  return { pos, frames, bounds: { x: 0, y: 0, w: whole.w + 2 * margin, h: whole.h + 2 * margin } };
}

// Items of one frame (their sizes, in program order) and its edges ("i>j"): layers left
// to right, each item right of what it uses, an item that uses nothing just before its
// first user; in a layer, items in the order of what they use; a layer's column as wide
// as its widest item, each item as near the middle of what it uses as the others let it.
function arrange(sizes, pairs) {
  const n = sizes.length;
  const preds = Array.from({ length: n }, () => []);
  const succs = Array.from({ length: n }, () => []);
  for (const pair of pairs) {
    const [i, j] = pair.split(">").map(Number);
    if (i < j) { // program order is a topological order; anything else is left out
      preds[j].push(i);
      succs[i].push(j);
    }
  }
  const layer = new Array(n).fill(0);
  for (let j = 0; j < n; j += 1) for (const i of preds[j]) layer[j] = Math.max(layer[j], layer[i] + 1);
  for (let i = n - 1; i >= 0; i -= 1) {
    if (!preds[i].length && succs[i].length) layer[i] = Math.min(...succs[i].map((j) => layer[j])) - 1;
  }
  const columns = [];
  for (let i = 0; i < n; i += 1) (columns[layer[i]] ||= []).push(i);
  const slot = new Array(n).fill(0);
  const at = (list) => list.forEach((i, k) => { slot[i] = k; });
  columns.forEach((col) => col && at(col));
  const mean = (list) => list.reduce((s, i) => s + slot[i], 0) / list.length;
  for (let sweep = 0; sweep < 2; sweep += 1) {
    for (const col of columns) {
      if (!col) continue;
      col.sort((a, b) => (preds[a].length ? mean(preds[a]) : slot[a]) - (preds[b].length ? mean(preds[b]) : slot[b]) || a - b);
      at(col);
    }
    for (let c = columns.length - 1; c >= 0; c -= 1) {
      const col = columns[c];
      if (!col) continue;
      col.sort((a, b) => (succs[a].length ? mean(succs[a]) : slot[a]) - (succs[b].length ? mean(succs[b]) : slot[b]) || a - b);
      at(col);
    }
  }
  const pos = new Array(n);
  const centre = new Array(n).fill(0);
  let x = 0;
  let top = Infinity;
  let bottom = -Infinity;
  for (const col of columns) {
    if (!col) continue;
    const width = Math.max(...col.map((i) => sizes[i].w));
    // each item wants the middle of what it uses (one that uses nothing has no wish);
    // the column, in its order and spaced, goes as near to all of that as it can
    const wants = col.map((i) => (preds[i].length
      ? preds[i].reduce((s, p) => s + centre[p], 0) / preds[i].length - sizes[i].h / 2 : null));
    const tops = spacedNear(wants, col.map((i) => sizes[i].h), GAP_Y);
    col.forEach((i, k) => {
      centre[i] = tops[k] + sizes[i].h / 2;
      pos[i] = { x: x + (width - sizes[i].w) / 2, y: tops[k] };
      top = Math.min(top, tops[k]);
      bottom = Math.max(bottom, tops[k] + sizes[i].h);
    });
    x += width + GAP_X;
  }
  if (!Number.isFinite(top)) [top, bottom] = [0, 0];
  for (const p of pos) if (p) p.y -= top;
  return { pos, w: Math.max(0, x - GAP_X), h: bottom - top };
}

// The tops of items stacked in this order, `gap` apart at least, as near as they can be
// to where they want to be (least squares; `null`: anywhere). Were each item pushed
// down off the one above, a column whose items all want the same middle would start at
// that middle and hang below it, and a network's layers would step down the page; this
// keeps the column centred on what it wants (isotonic regression, pool-adjacent-violators).
function spacedNear(wants, heights, gap) {
  const offset = [];
  let o = 0;
  for (const h of heights) {
    offset.push(o);
    o += h + gap;
  }
  // blocks of items that sit tight together: their summed wish and how many wish. An item
  // with no wish joins the block above it (or, at the top, the first block below).
  const blocks = [];
  wants.forEach((want, k) => {
    const last = blocks[blocks.length - 1];
    if (want === null && last) {
      last.to = k;
      return;
    }
    const block = { from: k, to: k, sum: want === null ? 0 : want - offset[k], weight: want === null ? 0 : 1 };
    if (last && !last.weight) {
      block.from = last.from;
      blocks.pop();
    }
    blocks.push(block);
    // merge while the block above wants to be lower than this one (tight together then)
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const a = blocks[blocks.length - 2];
      if (a.sum / a.weight <= b.sum / b.weight) break;
      blocks.splice(-2, 2, { from: a.from, to: b.to, sum: a.sum + b.sum, weight: a.weight + b.weight });
    }
  });
  const level = blocks.map((b) => (b.weight ? b.sum / b.weight : 0));
  const tops = new Array(wants.length);
  blocks.forEach((b, k) => {
    for (let i = b.from; i <= b.to; i += 1) tops[i] = level[k] + offset[i];
  });
  return tops;
}
