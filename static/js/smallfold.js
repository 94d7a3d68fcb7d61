// Where a small program's folded picture goes, with no DOM: a program drawn whole (the
// server's layout) with some statements collapsed keeps the drawing the learner was
// looking at. Every node still shown stays where the server's layout put it, and a
// collapsed statement's box takes the place of its output gate (its last one), in that
// gate's column; a column left empty (all of its gates collapsed) closes up. Then a
// simple repair: a column moves right (with all right of it) where a box is too wide for
// the gap, and in a column an item moves down off the one above.
// No frames: the hover handle or − on a gate collapses its statement, + on a box
// expands it (groupview.js). An input's numbers sit at its left (`side`), so inputs
// stay as close as the server put them.

import { BOX_H, NODE_H, NODE_W, R, boxWidth, textWidth } from "./grouplayout.js";

export const LEAF_HALF = 26; // half an input's or a constant's box, as groupview.js draws it
export const SIDE = 64; // the room of an input's numbers at its left
export const SIDE_GAP = 6; // between them and the box
const SHAPE_TOP = 46; // a node's shape's centre below its item's top (groupview.js)
const GAP_X = 28; // the least room between the items of two columns
const GAP_Y = 8; // and between two items of a column
const MARGIN = 30;

// An item's room around its centre: [left, top, right, bottom] (all positive).
function room(item) {
  if (item.kind === "box") {
    const w = boxWidth(item.title);
    return [w / 2, BOX_H / 2, w / 2, BOX_H / 2];
  }
  if (item.leaf) return [LEAF_HALF + SIDE_GAP + SIDE, 17, LEAF_HALF, 17];
  const half = Math.max(NODE_W, textWidth(item.title || "") + 12) / 2;
  return [half, R + 18, half, R + 38]; // its name above, its value and gradient below
}

// `layout`: the answer's (nodes: id -> {x, y, layer}); `items`: [{id, kind: "node"|"box",
// title, leaf (an input or a constant), at: the node id whose place it takes}].
// Answers {pos: Map id -> {x, y, w, h, side} (an item's top-left corner and size, as
// grouplayout.js gives them), bounds}.
export function layoutFromServer(layout, items) {
  const places = layout.nodes;
  const layerX = new Map(); // each layer's x in the server's layout
  for (const p of Object.values(places)) if (!layerX.has(p.layer)) layerX.set(p.layer, p.x);
  const laid = items.map((item) => {
    const p = places[item.at];
    return { item, room: room(item), layer: p.layer, x: p.x, y: p.y };
  });
  const columns = new Map();
  for (const one of laid) {
    if (!columns.has(one.layer)) columns.set(one.layer, []);
    columns.get(one.layer).push(one);
  }
  const layers = [...columns.keys()].sort((a, b) => a - b);
  // columns: where the server put them, moved right only as far as the widths need
  let shift = 0;
  let prev = null;
  for (const layer of layers) {
    const col = columns.get(layer);
    // the room of columns left empty closes up
    if (prev && layer - 1 > prev.layer && layerX.has(layer - 1)) shift -= layerX.get(layer - 1) - layerX.get(prev.layer);
    const x = layerX.get(layer) + shift;
    if (prev) {
      const right = Math.max(...prev.col.map((one) => one.x + one.room[2]));
      const left = Math.max(...col.map((one) => one.room[0]));
      shift += Math.max(0, right + GAP_X - (x - left));
    }
    const at = layerX.get(layer) + shift;
    for (const one of col) one.x = at;
    prev = { col, layer };
    // in a column, top to bottom as the server has them, each off the one above
    col.sort((a, b) => a.y - b.y);
    let bottom = -Infinity;
    for (const one of col) {
      one.y = Math.max(one.y, bottom + GAP_Y + one.room[1]);
      bottom = one.y + one.room[3];
    }
  }
  const pos = new Map();
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const { item, room: [l, t, r, b], x, y } of laid) {
    x0 = Math.min(x0, x - l);
    y0 = Math.min(y0, y - t);
    x1 = Math.max(x1, x + r);
    y1 = Math.max(y1, y + b);
    if (item.kind === "box") pos.set(item.id, { x: x - l, y: y - BOX_H / 2, w: l + r, h: BOX_H });
    else pos.set(item.id, { x: x - r, y: y - SHAPE_TOP, w: 2 * r, h: NODE_H, side: Boolean(item.leaf) });
  }
  if (!laid.length) [x0, y0, x1, y1] = [0, 0, 0, 0];
  const bounds = { x: x0 - MARGIN, y: y0 - MARGIN, w: x1 - x0 + 2 * MARGIN, h: y1 - y0 + 2 * MARGIN };
  return { pos, bounds };
}
