// A folded circuit, with no DOM: the answer's statement groups (POST /api/graph with
// `groups`, app/groups.py) folded as the learner chose, as a body the stepper, the
// explanation and the drawing read like any other.
//
// `foldBody(answer, open)`: every group not in `open` (or inside one that is not) is one
// box; what an open group holds shows. The body keeps every node of the answer (the
// explanation and the panels read names and numbers from them) and adds a node per
// collapsed group (`op: "group"`, the group's title as its label, its output's name and
// numbers). Its steps: a node that shows steps as before; a collapsed group steps as one,
// forward once its last node is computed, backward once for all of its gates (a step of
// phase "group", which timeline.js reads). `body.fold` says what the view draws: the
// items (shown nodes and boxes), the wires between them, the open frames, and where
// each goes (grouplayout.js).

import { nextTask } from "./columns.js";
import { layoutTree } from "./grouplayout.js";
import { layoutFromServer } from "./smallfold.js";
import { resolveTensor } from "./timeline.js";

// Per answer, what does not depend on the folds, as arrays of indices (node i is
// answer.nodes[i], group j answer.groups[j]): each node's group and inputs, each group's
// parent, each step's node and its edges' inputs. Unfolding then walks numbers, not ids.
const indexes = new WeakMap();
const EVERY = 2048; // items between two looks at the clock (`prepareFold`)
const SLICE_MS = 30;

function indexOf(answer) {
  if (!indexes.has(answer)) {
    const work = buildIndex(answer);
    while (!work.next().done); // all at once
  }
  return indexes.get(answer);
}

// What folding an answer needs that does not depend on the folds, worked out ahead in
// slices of a few tens of milliseconds, the page answering between them (requests.js
// does it for a big answer: a fifth of a second of work on micrograd's demo network).
// `signal` (an AbortSignal) stops it between slices, the index unfinished.
export async function prepareFold(answer, { signal = null } = {}) {
  if (indexes.has(answer)) return;
  const work = buildIndex(answer);
  let deadline = performance.now() + SLICE_MS;
  while (!work.next().done) {
    if (performance.now() < deadline) continue;
    await nextTask();
    if (signal && signal.aborted) return;
    deadline = performance.now() + SLICE_MS;
  }
}

// The index, built and kept; yields every EVERY items, so that a caller can pause.
function* buildIndex(answer) {
  const { nodes, groups: list, steps } = answer;
  const n = nodes.length;
  const at = new Map();
  for (let i = 0; i < n; i += 1) {
    at.set(nodes[i].id, i);
    if (!(i % EVERY)) yield;
  }
  const groups = new Map(list.map((g) => [g.id, g]));
  const gAt = new Map(list.map((g, j) => [g.id, j]));
  const parent = Int32Array.from(list, (g) => (g.parent ? gAt.get(g.parent) : -1));
  const groupOf = Int32Array.from(nodes, (node) => (node.group ? gAt.get(node.group) : -1));
  const inStart = new Int32Array(n + 1);
  nodes.forEach((node, i) => { inStart[i + 1] = inStart[i] + node.inputs.length; });
  yield;
  const inList = new Int32Array(inStart[n]);
  for (let i = 0; i < n; i += 1) {
    const inputs = nodes[i].inputs;
    for (let k = 0; k < inputs.length; k += 1) inList[inStart[i] + k] = at.get(inputs[k]);
    if (!(i % EVERY)) yield;
  }
  const stepNode = Int32Array.from(steps, (step) => at.get(step.node));
  const edgeStart = new Int32Array(steps.length + 1);
  steps.forEach((step, k) => { edgeStart[k + 1] = edgeStart[k] + (step.edges ? step.edges.length : 0); });
  yield;
  const edgeInput = new Int32Array(edgeStart[steps.length]);
  const edgeSum = new Array(edgeStart[steps.length]);
  for (let k = 0; k < steps.length; k += 1) {
    (steps[k].edges || []).forEach((edge, e) => {
      edgeInput[edgeStart[k] + e] = at.get(edge.input);
      edgeSum[edgeStart[k] + e] = edge.sum;
    });
    if (!(k % EVERY)) yield;
  }
  const index = { at, groups, gAt, parent, groupOf, inStart, inList, stepNode, edgeStart, edgeInput, edgeSum };
  Object.assign(index, yield* stepSummaries(answer, index));
  indexes.set(answer, index);
}

// Where each node steps, and each group as one: its last forward step, its first and
// last backward steps, how many backward steps (gates) it holds, and what it sends out:
// per node outside it, the gradient there so far (`sent`) and its own share (`gave`).
// Once per answer, so that unfolding only sorts the few items on show.
function* stepSummaries(answer, index) {
  const { parent, groupOf, stepNode, edgeStart, edgeInput, edgeSum } = index;
  const n = answer.nodes.length;
  const count = answer.groups.length;
  const fwdStep = new Int32Array(n).fill(-1);
  const backStep = new Int32Array(n).fill(-1);
  const lastFwd = new Int32Array(count).fill(-1);
  const firstBack = new Int32Array(count).fill(-1);
  const lastBack = new Int32Array(count).fill(-1);
  const gates = new Int32Array(count);
  const sent = Array.from({ length: count }, () => new Map());
  const gave = Array.from({ length: count }, () => new Map());
  // a big tensor in the trace names the node field that holds it (timeline.js)
  const lookup = { get: (id) => answer.nodes[index.at.get(id)] };
  const resolve = (value) => resolveTensor(value, lookup);
  const inside = (u, g) => {
    for (let a = groupOf[u]; a >= 0; a = parent[a]) if (a === g) return true;
    return false;
  };
  const steps = answer.steps;
  for (let k = 0; k < steps.length; k += 1) {
    if (!(k % EVERY)) yield;
    const step = steps[k];
    const i = stepNode[k];
    if (step.phase === "forward") {
      fwdStep[i] = k;
      for (let g = groupOf[i]; g >= 0; g = parent[g]) lastFwd[g] = k;
      continue;
    }
    backStep[i] = k;
    for (let g = groupOf[i]; g >= 0; g = parent[g]) {
      if (firstBack[g] < 0) firstBack[g] = k;
      lastBack[g] = k;
      gates[g] += 1;
      for (let e = edgeStart[k]; e < edgeStart[k + 1]; e += 1) {
        const u = edgeInput[e];
        if (inside(u, g)) continue;
        const id = answer.nodes[u].id;
        sent[g].set(id, resolve(edgeSum[e]));
        const mine = resolve(step.edges[e - edgeStart[k]].product);
        const had = gave[g].get(id);
        gave[g].set(id, typeof had === "number" && typeof mine === "number" ? had + mine : mine);
      }
    }
  }
  return { fwdStep, backStep, summary: { lastFwd, firstBack, lastBack, gates, sent, gave } };
}

// Whether an answer comes folded: a big program asked for with its groups.
export function foldsAnswer(answer) {
  return Boolean(answer && answer.folded && answer.groups);
}

// A group the learner may collapse on a program drawn whole (`closedBody`): a section, or
// a statement of two gates or more (one gate folded into a box hides nothing).
export function collapsible(group) {
  return group.kind === "section" || group.gates >= 2;
}

// The innermost collapsible group a node (of an answer drawn whole) belongs to, or null.
export function groupAround(answer, nodeId) {
  const { groups, at } = indexOf(answer);
  const node = answer.nodes[at.get(nodeId)];
  for (let g = node ? node.group : null; g; g = groups.get(g).parent) {
    if (collapsible(groups.get(g))) return g;
  }
  return null;
}

// A list of group ids with `id` in it (`on`) or not.
export function toggledIn(list, id, on) {
  return on ? [...new Set([...list, id])] : list.filter((g) => g !== id);
}

// What the page draws for an answer and the learner's folds: a folded answer (a big
// program) folded by `opened`; a small one whole, or, with groups the learner collapsed
// (`closed`), folded with every other group open and laid out as the server laid out
// the whole (smallfold.js), with no frames.
export function foldedAs(answer, opened, closed) {
  if (foldsAnswer(answer)) return foldBody(answer, opened);
  if (!answer.groups) return answer;
  const { groups } = indexOf(answer);
  const shut = new Set(closed.filter((id) => groups.has(id) && collapsible(groups.get(id))));
  if (!shut.size) return answer;
  const open = answer.groups.filter((g) => !shut.has(g.id)).map((g) => g.id);
  const bare = new Set(answer.groups.filter((g) => !collapsible(g)).map((g) => g.id));
  return foldBody(answer, open, { bare, at: answer.layout });
}

// `bare`: open groups drawn with no frame of their own (their items in the frame around);
// `at`: the server's layout of the whole, to lay the items out as it has them, framed not.
export function foldBody(answer, open, { bare = null, at = null } = {}) {
  const index = indexOf(answer);
  const { groups, parent, groupOf, inStart, inList } = index;
  const list = answer.groups;
  const nodes = answer.nodes;
  const n = nodes.length;
  const opened = new Set(open.filter((id) => groups.has(id)));
  // each group's box: the outermost folded group around it (itself included), or -1
  const box = new Int32Array(list.length);
  list.forEach((g, j) => {
    const up = parent[j] >= 0 ? box[parent[j]] : -1;
    box[j] = up >= 0 ? up : (opened.has(g.id) ? -1 : j);
  });
  // the item each node shows as: itself (i), or its box (n + j)
  const item = new Int32Array(n);
  for (let i = 0; i < n; i += 1) {
    const g = groupOf[i];
    item[i] = g >= 0 && box[g] >= 0 ? n + box[g] : i;
  }
  const idOf = (k) => (k < n ? nodes[k].id : list[k - n].id);
  // a node per folded group, with its output's name and numbers
  const groupNodes = new Map();
  const alias = new Map(); // a folded group's output node -> its box
  list.forEach((g, j) => {
    if (box[j] !== j) return;
    const out = g.output ? nodes[index.at.get(g.output)] : null;
    if (out) alias.set(out.id, g.id);
    groupNodes.set(g.id, {
      id: g.id, op: "group", name: out ? out.name : null, label: g.title, inputs: [],
      value: out ? out.value : null, grad: out ? out.grad : null, shape: out ? out.shape : [],
      span: { line: g.line, column: 1, end_line: g.line, end_column: 1 }, requires_grad: true,
      warnings: [], group: g.parent, info: g,
    });
  });
  // the wires between items, and each group node's inputs
  const wires = [];
  const seen = new Set();
  const width = n + list.length;
  for (let i = 0; i < n; i += 1) {
    const to = item[i];
    for (let e = inStart[i]; e < inStart[i + 1]; e += 1) {
      const from = item[inList[e]];
      if (from === to || seen.has(from * width + to)) continue;
      seen.add(from * width + to);
      const a = idOf(from);
      const b = idOf(to);
      wires.push({ from: a, to: b, key: `${a}>${b}` });
      if (to >= n) groupNodes.get(b).inputs.push(a);
    }
  }
  const layout = foldLayout(answer, groups, item, idOf, groupNodes, wires, bare, at);
  const steps = foldSteps(answer, index, layout.shown, n);
  const output = idOf(item[index.at.get(answer.output)]);
  const byId = (id) => groupNodes.get(id) || nodes[index.at.get(id)];
  return {
    ...answer, nodes: [...nodes, ...groupNodes.values()], steps, output,
    fold: { open: [...opened], items: layout.items, wires, frames: layout.frames, pos: layout.pos,
            bounds: layout.bounds, small: Boolean(at), alias, answerOutput: answer.output, source: answer,
            nodes: { get: byId, has: (id) => byId(id) !== undefined } },
  };
}

// The steps of the items on show, in the answer's order: a node's own steps, and a folded
// group's two, forward where its last node is computed, backward where its first gate
// sends its gradient on (each `at` the answer's step it reaches, for progressAt).
function foldSteps(answer, index, items, n) {
  const { fwdStep, backStep, summary } = index;
  const { lastFwd, firstBack, lastBack, gates, sent, gave } = summary;
  const units = [];
  for (const k of items) {
    if (k < n) {
      if (fwdStep[k] >= 0) units.push([fwdStep[k], { ...answer.steps[fwdStep[k]], at: fwdStep[k] }]);
      if (backStep[k] >= 0) units.push([backStep[k], { ...answer.steps[backStep[k]], at: backStep[k] }]);
      continue;
    }
    const j = k - n;
    const info = answer.groups[j];
    if (lastFwd[j] >= 0) {
      units.push([lastFwd[j], { phase: "group", dir: "forward", node: info.id, gates: info.gates,
                                nodes: info.nodes, at: lastFwd[j] }]);
    }
    if (firstBack[j] >= 0) {
      units.push([firstBack[j], { phase: "group", dir: "backward", node: info.id, gates: gates[j],
                                  nodes: info.nodes, sent: sent[j], gave: gave[j], at: lastBack[j] }]);
    }
  }
  units.sort((a, b) => a[0] - b[0]);
  return units.map((unit) => unit[1]);
}

// The tree of frames and items the view shows, laid out.
function foldLayout(answer, groups, item, idOf, groupNodes, wires, bare, at) {
  const root = { id: "", kind: "frame", title: "", children: [] };
  const frames = new Map(); // open group id -> its frame
  const frameOf = (groupId) => {
    if (!groupId) return root;
    if (frames.has(groupId)) return frames.get(groupId);
    const g = groups.get(groupId);
    if (bare && bare.has(groupId)) return frameOf(g.parent);
    const frame = { id: `frame:${groupId}`, group: groupId, kind: "frame", title: g.title, children: [] };
    frames.set(groupId, frame);
    frameOf(g.parent).children.push(frame);
    return frame;
  };
  const isLeaf = (node) => node.op === "input" || node.op === "const";
  const items = [];
  const shown = []; // the same, as indices (node i, or n + group j)
  const placed = new Uint8Array(answer.nodes.length + answer.groups.length);
  answer.nodes.forEach((node, i) => {
    if (placed[item[i]]) return;
    placed[item[i]] = 1;
    shown.push(item[i]);
    const id = idOf(item[i]);
    if (groupNodes.has(id)) {
      const g = groupNodes.get(id);
      frameOf(g.info.parent).children.push({ id, kind: "box", title: g.label });
      items.push(id);
    } else {
      frameOf(node.group).children.push({ id, kind: "node", title: isLeaf(node) ? (node.name || node.label) : (node.name || "") });
      items.push(id);
    }
  });
  if (at) {
    // each item at its node's place, a box at its output's (else its last node's)
    const last = new Map();
    answer.nodes.forEach((node, i) => { if (item[i] >= answer.nodes.length) last.set(idOf(item[i]), node.id); });
    const nodeAt = indexOf(answer).at;
    const laid = layoutFromServer(at, items.map((id) => {
      const g = groupNodes.get(id);
      if (g) return { id, kind: "box", title: g.label, at: g.info.output || last.get(id) };
      const node = answer.nodes[nodeAt.get(id)];
      return { id, kind: "node", title: node.name || "", leaf: isLeaf(node), at: id };
    }));
    return { items, shown, pos: laid.pos, frames: [], bounds: laid.bounds };
  }
  const laid = layoutTree(root, wires.map((w) => [w.from, w.to]));
  const frameList = [...frames.values()].map((f) => ({ id: f.group, title: f.title, ...laid.frames.get(f.id) }));
  return { items, shown, pos: laid.pos, frames: frameList, bounds: laid.bounds };
}
