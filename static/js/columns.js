// The compact answer of POST /api/graph (`"format": "columns"`, app/columns.py) read
// back into the answer the request would have had without it, exactly as
// app.columns.from_columns does (tests/browser/test_big_answers.py holds the two equal).
// requests.js asks for a long program's answer in this form: about a quarter of the
// bytes to receive and parse, and the objects the page reads are made here in slices of
// a few tens of milliseconds, so the page keeps answering while micrograd's demo network
// (65,000 gates) is unpacked.

const SLICE_MS = 30;
const NODE_FIELDS = ["op", "name", "label", "inputs", "value", "grad", "shape", "span",
                     "requires_grad", "warnings"];
const SPAN_FIELDS = ["line", "column", "end_line", "end_column"];
const STEP_FIELDS = ["phase", "node", "grad", "seed", "edges"];
const EDGE_FIELDS = ["input", "position", "upstream", "local", "product", "sum", "accumulate",
                     "formula"];

// Yield to the page: its input, its frames, then back here (a message, unlike a timer,
// is not slowed down in a background tab).
export function nextTask() {
  if (globalThis.scheduler && typeof globalThis.scheduler.yield === "function") {
    return globalThis.scheduler.yield();
  }
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => { port1.close(); resolve(); };
    port2.postMessage(null);
  });
}

// A column of `count` items: a list, or sparse {at, values, else?}. `has(k)`: whether
// item k has the field; `get(k)`: its value.
function reader(column, count) {
  if (Array.isArray(column)) return { has: () => true, get: (k) => column[k] };
  const pos = new Int32Array(count).fill(-1);
  column.at.forEach((k, p) => { pos[k] = p; });
  const hasElse = "else" in column;
  return {
    has: (k) => pos[k] >= 0 || hasElse,
    get: (k) => (pos[k] >= 0 ? column.values[pos[k]] : column.else),
  };
}

// The columns of a table other than `known`, as readers: fields the answer gained after
// app/columns.py was written, each copied onto its items.
function extras(table, known, count) {
  return Object.keys(table).filter((key) => !known.includes(key))
    .map((key) => [key, reader(table[key], count)]);
}

function put(item, key, column, k) {
  if (column.has(k)) item[key] = column.get(k);
}

// `signal` (an AbortSignal) stops the work between slices with an AbortError.
export async function fromColumns(columns, { signal = null } = {}) {
  let deadline = performance.now() + SLICE_MS;
  const slice = async () => {
    if (performance.now() < deadline) return;
    await nextTask();
    if (signal && signal.aborted) throw new DOMException("aborted", "AbortError");
    deadline = performance.now() + SLICE_MS;
  };
  const ops = columns.ops;
  const nodes = await nodesBack(columns.nodes, ops, slice);
  const body = { output: `n${columns.output}`, nodes,
                 steps: await stepsBack(columns.steps, nodes, ops, slice),
                 inputs: columns.inputs, warnings: columns.warnings };
  if ("layout" in columns) body.layout = await layoutBack(columns.layout, nodes, slice);
  for (const [key, value] of Object.entries(columns)) {
    if (!(key in body) && key !== "format" && key !== "ops") body[key] = value;
  }
  return body;
}

async function nodesBack(cols, ops, slice) {
  const count = cols.count;
  const { op, name, label, inputs, value, grad, shape, span, requires_grad: requires } = cols;
  const warnings = reader(cols.warnings, count);
  const params = reader(cols.params, count);
  const origin = cols.origin || null;
  const more = extras(cols, ["count", "origin", "params", ...NODE_FIELDS], count);
  const nodes = new Array(count);
  for (let k = 0; k < count; k += 1) {
    const s = span[k];
    const node = {
      id: `n${k}`, op: op[k], name: name[k], label: label[k],
      inputs: inputs[k].map((i) => `n${i}`), value: value[k], grad: grad[k], shape: shape[k],
      span: s === null ? null : { line: s[0], column: s[1], end_line: s[2], end_column: s[3] },
      requires_grad: Boolean(requires[k]),
    };
    put(node, "warnings", warnings, k);
    const known = Object.hasOwn(ops, node.op) ? ops[node.op] : null;
    if (known) node.formulas = known.formulas;
    put(node, "params", params, k);
    if (known) node.composite = known.composite;
    if (origin) node.origin = `n${origin[k]}`;
    for (const [key, column] of more) put(node, key, column, k);
    nodes[k] = node;
    if (!(k & 255)) await slice();
  }
  return nodes;
}

async function stepsBack(steps, nodes, ops, slice) {
  const out = [];
  const fwdNodes = steps.forward.node;
  const fwdMore = extras(steps.forward, ["node"], fwdNodes.length);
  for (let k = 0; k < fwdNodes.length; k += 1) {
    const step = { phase: "forward", node: `n${fwdNodes[k]}` };
    for (const [key, column] of fwdMore) put(step, key, column, k);
    out.push(step);
    if (!(k & 1023)) await slice();
  }
  const bwd = steps.backward;
  const ecols = steps.edges;
  const gates = bwd.node;
  const seed = reader(bwd.seed, gates.length);
  const bwdMore = extras(bwd, STEP_FIELDS, gates.length);
  const total = ecols.input.length;
  const sums = reader(ecols.sum, total);
  const edgeMore = extras(ecols, EDGE_FIELDS, total);
  const { input, position, local, product, accumulate } = ecols;
  const upstream = ecols.upstream || null;
  const formula = ecols.formula || null;
  let e = 0;
  for (let k = 0; k < gates.length; k += 1) {
    const gate = gates[k];
    const grad = bwd.grad ? bwd.grad[k] : nodes[gate].grad;
    const step = { phase: "backward", node: `n${gate}`, grad };
    put(step, "seed", seed, k);
    const edges = [];
    for (let m = 0; m < bwd.edges[k]; m += 1, e += 1) {
      const at = position[e];
      const edge = {
        input: `n${input[e]}`, position: at, upstream: upstream ? upstream[e] : grad,
        local: local[e], product: product[e], sum: sums.has(e) ? sums.get(e) : product[e],
        accumulate: Boolean(accumulate[e]),
        formula: formula ? formula[e] : ops[nodes[gate].op].formulas[at],
      };
      for (const [key, column] of edgeMore) put(edge, key, column, e);
      edges.push(edge);
    }
    step.edges = edges;
    for (const [key, column] of bwdMore) put(step, key, column, k);
    out.push(step);
    if (!(k & 255)) await slice();
  }
  return out;
}

async function layoutBack(layout, nodes, slice) {
  const where = layout.nodes;
  const { x: xs, y: ys, layer } = where;
  const pointMore = extras(where, ["x", "y", "layer"], xs.length);
  const placed = {};
  for (let k = 0; k < xs.length; k += 1) {
    const point = { x: xs[k], y: ys[k], layer: layer[k] };
    for (const [key, column] of pointMore) put(point, key, column, k);
    placed[`n${k}`] = point;
    if (!(k & 1023)) await slice();
  }
  const routes = layout.edges;
  const ends = [];
  if ("from" in routes) routes.from.forEach((a, w) => ends.push([a, routes.to[w]]));
  else nodes.forEach((node, o) => node.inputs.forEach((id) => ends.push([Number(id.slice(1)), o])));
  const wireMore = extras(routes, ["from", "to", "points", "bends"], ends.length);
  const wires = [];
  for (let w = 0; w < ends.length; w += 1) {
    const [a, b] = ends[w];
    const flat = routes.points ? routes.points[w] : [xs[a], ys[a], ...routes.bends[w], xs[b], ys[b]];
    const points = [];
    for (let i = 0; i < flat.length; i += 2) points.push(flat.slice(i, i + 2));
    const wire = { from: `n${a}`, to: `n${b}`, points };
    for (const [key, column] of wireMore) put(wire, key, column, w);
    wires.push(wire);
    if (!(w & 1023)) await slice();
  }
  const body = { nodes: placed, edges: wires };
  for (const [key, value] of Object.entries(layout)) if (!(key in body)) body[key] = value;
  return body;
}
