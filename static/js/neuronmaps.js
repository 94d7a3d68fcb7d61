// What each neuron learned, in the circuit: beside a hidden layer's node (the `h` of
// h = tanh(X @ W1 + b1)), its units' maps (trainpictures.js) stacked in a column, as TF
// Playground stacks a layer's neurons, each with its tooltip. A column goes where it
// covers no node, tensor view, label or wire label, and if it can, no wire (Graphviz's
// xlabel placement: spots around the node, nearest first; the first free one wins).

import { el } from "./svg.js";
import { layerScale, unitImage } from "./trainpictures.js";

const SIZE = 32; // px of a map
const GAP = 3; // px between the maps of a column
const MARGIN = 5; // px kept free around what a column must not cover
const STEP = 6; // px between the spots tried
const REACH = 360; // px from the node's centre the spots go out to
const WIRE_STEP = 6; // px between the points of a wire a column should not cover
const LABEL_W = 56; // the room kept for a wire label not shown yet (empty until its step)
const LABEL_H = 14;

const drawn = new WeakMap(); // the circuit's overlay group -> what is drawn in it

// Draw `neurons` (an /api/train answer's, or null for none) in `view` (a CircuitView,
// arranged): a column per layer whose node is in the circuit. `label(layer, unit)` is a
// unit's tooltip.
export function drawNeuronMaps(view, neurons, label) {
  const overlay = view.overlay;
  if (!overlay) return;
  let mine = drawn.get(overlay);
  if (!mine) {
    mine = { group: el("g", { class: "neuron-maps" }, overlay), neurons: null, arranged: null, title: "" };
    drawn.set(overlay, mine);
  }
  const layers = neurons ? neurons.layers.filter((l) => view.pos.has(l.node) && l.maps.length) : [];
  const title = layers.length ? label(layers[0], 0) : "";
  if (mine.neurons === neurons && mine.arranged === view.arranged && mine.title === title) return;
  const columns = layers.map((l) => `${l.node}:${l.maps.length}`).join();
  const placed = mine.arranged === view.arranged && mine.layout === columns;
  mine.neurons = neurons;
  mine.layout = columns;
  mine.title = title;
  if (!placed) {
    mine.group.replaceChildren();
    mine.columns = new Map();
    mine.arranged = null;
  }
  for (const layer of layers) {
    if (!mine.columns.has(layer.node)) mine.columns.set(layer.node, column(mine.group, layer));
    const scale = layerScale(layer);
    mine.columns.get(layer.node).forEach((unit, k) => {
      unit.image.setAttribute("href", unitImage(layer.maps[k], scale).toDataURL());
      const text = label(layer, k);
      unit.title.textContent = text;
      unit.g.setAttribute("aria-label", text);
    });
  }
  if (!placed && (!layers.length || place(view, mine, layers))) mine.arranged = view.arranged;
}

function column(group, layer) {
  const g = el("g", { class: "neuron-column", "data-node": layer.node }, group);
  return layer.maps.map((_, k) => {
    const unit = el("g", { class: "neuron-map", role: "img", "data-unit": `${layer.name}:${k}` }, g);
    const title = el("title", {}, unit);
    const image = el("image", { x: 0, y: k * (SIZE + GAP), width: SIZE, height: SIZE,
                                preserveAspectRatio: "none" }, unit);
    el("rect", { class: "neuron-map-frame", x: 0, y: k * (SIZE + GAP), width: SIZE, height: SIZE }, unit);
    return { g: unit, title, image };
  });
}

// Each column beside its node; false while the drawing cannot be measured (hidden).
function place(view, mine, layers) {
  const root = view.root;
  const ctm = root && root.getScreenCTM();
  if (!ctm) return false;
  const toRoot = ctm.inverse();
  const boxOf = (node) => {
    const b = node.getBBox();
    const m = toRoot.multiply(node.getScreenCTM());
    const xs = [m.a * b.x + m.e, m.a * (b.x + b.width) + m.e];
    const ys = [m.d * b.y + m.f, m.d * (b.y + b.height) + m.f];
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  };
  const hard = [];
  for (const node of root.querySelectorAll(".node, .tensor-view, .gate-handle")) hard.push(boxOf(node));
  for (const text of root.querySelectorAll(".edge text")) {
    if (text.textContent.trim()) hard.push(boxOf(text));
    else if (text.hasAttribute("x")) { // a label still to come: keep room for it
      const [x, y] = [Number(text.getAttribute("x")), Number(text.getAttribute("y"))];
      hard.push([x - LABEL_W / 2, y - LABEL_H, x + LABEL_W / 2, y + 4]);
    }
  }
  const wires = [];
  for (const path of root.querySelectorAll(".edge .wire")) {
    const length = path.getTotalLength();
    for (let s = 0; s <= length; s += WIRE_STEP) {
      const p = path.getPointAtLength(s);
      wires.push([p.x, p.y, p.x, p.y]);
    }
  }
  const b = view.viewport.bounds;
  const inside = (r) => r[0] >= b.x && r[1] >= b.y && r[2] <= b.x + b.w && r[3] <= b.y + b.h;
  for (const layer of layers) {
    const p = view.pos.get(layer.node);
    const n = layer.maps.length;
    const w = SIZE;
    const h = n * SIZE + (n - 1) * GAP;
    const spots = [];
    for (let dx = -REACH; dx <= REACH; dx += STEP) {
      for (let dy = -REACH; dy <= REACH; dy += STEP) spots.push([p.x + dx - w / 2, p.y + dy - h / 2]);
    }
    const centre = ([x, y]) => (x + w / 2 - p.x) ** 2 + (y + h / 2 - p.y) ** 2;
    spots.sort((a, c) => centre(a) - centre(c));
    const rect = ([x, y]) => [x, y, x + w, y + h];
    const free = (r, boxes) => boxes.every((o) => r[2] + MARGIN <= o[0] || o[2] + MARGIN <= r[0]
                                                 || r[3] + MARGIN <= o[1] || o[3] + MARGIN <= r[1]);
    // no wire and in the drawing's box; else on a wire; else anywhere free
    const tiers = [(r) => inside(r) && free(r, hard) && free(r, wires), (r) => inside(r) && free(r, hard),
                   (r) => free(r, hard)];
    let spot = null;
    for (const ok of tiers) {
      spot = spots.find((s) => ok(rect(s)));
      if (spot) break;
    }
    spot = spot || spots[0];
    mine.columns.get(layer.node)[0].g.parentNode.setAttribute("transform", `translate(${spot[0]},${spot[1]})`);
    hard.push(rect(spot)); // the next layer's column keeps off this one
  }
  return true;
}
