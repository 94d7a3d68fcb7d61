// The stepper's model, with no DOM: from the API's steps to what is visible at step k.
//
// Position 0 shows the bare circuit. Then one position per forward step (a node's
// value appears), one for the seed at the output, and one per backward edge (a
// gradient flows back along one wire and is added into its input), so at a
// fan-out the learner sees the first contribution, then the += of the next. When the
// answer carries an `update` (one step of gradient descent), one more position per
// parameter: w ← w − r·∂out/∂w.

export function edgeKey(from, to, position) {
  return `${from}>${to}:${position}`;
}

// A tensor of more than a few dozen numbers comes in the trace as {shape, same_as}: the
// numbers of the node field it names, or none at all (a partial sum, a local derivative),
// which the page leaves undefined, as it does a gradient not reached yet.
export function resolveTensor(value, nodes) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  if (!("same_as" in value)) return value;
  if (!value.same_as) return undefined;
  const node = nodes.get(value.same_as.node);
  return node ? node[value.same_as.field] : undefined;
}

export function buildTimeline(body) {
  const nodes = new Map(body.nodes.map((n) => [n.id, n]));
  const items = [];
  let seeded = false;
  const resolve = (value) => resolveTensor(value, nodes);
  for (const step of body.steps) {
    if (step.phase === "forward") {
      items.push({ kind: "forward", node: step.node });
      continue;
    }
    if (!seeded) {
      items.push({ kind: "seed", node: body.output, grad: nodes.get(body.output).grad });
      seeded = true;
    }
    step.edges.forEach((raw, index) => {
      const edge = { ...raw, upstream: resolve(raw.upstream), local: resolve(raw.local),
                     product: resolve(raw.product), sum: resolve(raw.sum) };
      items.push({ kind: "edge", gate: step.node, grad: resolve(step.grad), edge, index,
                   key: edgeKey(edge.input, step.node, edge.position) });
    });
  }
  if (body.update) {
    const inputs = new Map(body.nodes.filter((n) => n.op === "input").map((n) => [n.name, n.id]));
    for (const param of body.update.params) {
      items.push({ kind: "update", node: inputs.get(param.name), param, lr: body.update.lr });
    }
  }
  return { body, nodes, items, forwardCount: body.steps.filter((s) => s.phase === "forward").length };
}

// What is visible after the first k items: values shown, node gradients so far,
// edge gradients so far, and the item just played.
export function stateAt(timeline, k) {
  const n = Math.max(0, Math.min(k, timeline.items.length));
  const shown = new Set();
  const grads = new Map();
  const edgeGrads = new Map();
  const updated = new Map();  // parameter node id -> its value after the step
  for (let i = 0; i < n; i += 1) {
    const item = timeline.items[i];
    if (item.kind === "forward") shown.add(item.node);
    else if (item.kind === "seed") grads.set(item.node, item.grad);
    else if (item.kind === "update") updated.set(item.node, item.param.new);
    else {
      if (item.edge.product !== undefined) edgeGrads.set(item.key, item.edge.product);
      if (item.edge.sum !== undefined) grads.set(item.edge.input, item.edge.sum);
    }
  }
  const current = n > 0 ? timeline.items[n - 1] : null;
  return { k: n, total: timeline.items.length, shown, grads, edgeGrads, updated, current };
}

// What differs between the states after j and after k items of the same timeline: the
// nodes whose value, gradient or updated value appears or goes (a forward step's node,
// the seed's output, an edge's input, a parameter updated) and the wires whose gradient
// does (by edgeKey). A step changes one node or one wire, so a view redraws just those;
// the item just played is each state's `current`, not counted here.
export function changedBetween(timeline, j, k) {
  const nodes = new Set();
  const edges = new Set();
  const end = Math.min(Math.max(j, k), timeline.items.length);
  for (let i = Math.max(0, Math.min(j, k)); i < end; i += 1) {
    const item = timeline.items[i];
    if (item.kind === "edge") {
      edges.add(item.key);
      nodes.add(item.edge.input);
    } else {
      nodes.add(item.node);
    }
  }
  return { nodes, edges };
}

// The node a step is about, and the source line to highlight for it.
export function focusNode(timeline, item) {
  if (!item) return null;
  if (item.kind === "edge") return timeline.nodes.get(item.gate);
  return timeline.nodes.get(item.node);
}

// Keep the step position sensible when the program or values change: same phase and
// progress where the new timeline allows it.
export function carryPosition(oldTimeline, k, newTimeline) {
  if (!oldTimeline) return 0;
  if (k <= oldTimeline.forwardCount) {
    return Math.min(k, newTimeline.forwardCount);
  }
  const backOld = oldTimeline.items.length - oldTimeline.forwardCount;
  const backNew = newTimeline.items.length - newTimeline.forwardCount;
  const done = k - oldTimeline.forwardCount;
  if (k >= oldTimeline.items.length) return newTimeline.items.length;
  return newTimeline.forwardCount + Math.min(done, backNew, backOld);
}
