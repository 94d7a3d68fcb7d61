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
  // a folded body (groups.js) looks its nodes up itself: no map of 65,000 made again
  const nodes = body.fold ? body.fold.nodes : new Map(body.nodes.map((n) => [n.id, n]));
  const items = [];
  let seeded = false;
  const resolve = (value) => resolveTensor(value, nodes);
  // `at`: the step of the answer an item is (a folded body's steps say so), for keeping
  // the stepper's place when the folds change (progressAt)
  body.steps.forEach((step, k) => {
    const at = step.at ?? k;
    if (step.phase === "forward") {
      items.push({ kind: "forward", node: step.node, at });
      return;
    }
    if (step.phase === "group" && step.dir === "forward") { // a folded group, as one (groups.js)
      items.push({ kind: "group", dir: "forward", node: step.node, step, at });
      return;
    }
    if (!seeded) {
      items.push({ kind: "seed", node: body.output, grad: nodes.get(body.output).grad, at: at - 0.5 });
      seeded = true;
    }
    if (step.phase === "group") {
      items.push({ kind: "group", dir: "backward", node: step.node, step, at });
      return;
    }
    step.edges.forEach((raw, index) => {
      const edge = { ...raw, upstream: resolve(raw.upstream), local: resolve(raw.local),
                     product: resolve(raw.product), sum: resolve(raw.sum) };
      items.push({ kind: "edge", gate: step.node, grad: resolve(step.grad), edge, index, at,
                   last: index === step.edges.length - 1,
                   key: edgeKey(edge.input, step.node, edge.position) });
    });
  });
  if (body.update) {
    const inputs = new Map(body.nodes.filter((n) => n.op === "input").map((n) => [n.name, n.id]));
    for (const param of body.update.params) {
      items.push({ kind: "update", node: inputs.get(param.name), param, lr: body.update.lr });
    }
  }
  const alias = body.fold ? body.fold.alias : new Map(); // a folded group's output -> its box
  const forwardCount = items.filter((item) => item.kind === "forward" || (item.kind === "group" && item.dir === "forward")).length;
  return { body, nodes, items, forwardCount, alias };
}

// What is visible after the first k items: values shown, node gradients so far,
// edge gradients so far, and the item just played.
export function stateAt(timeline, k) {
  const n = Math.max(0, Math.min(k, timeline.items.length));
  const shown = new Set();
  const grads = new Map();
  const edgeGrads = new Map();
  const updated = new Map();  // parameter node id -> its value after the step
  const alias = timeline.alias || new Map();
  const gradOf = (id, g) => {
    grads.set(id, g);
    if (alias.has(id)) grads.set(alias.get(id), g);
  };
  for (let i = 0; i < n; i += 1) {
    const item = timeline.items[i];
    if (item.kind === "forward") shown.add(item.node);
    else if (item.kind === "seed") grads.set(item.node, item.grad);
    else if (item.kind === "group") {
      if (item.dir === "forward") shown.add(item.node);
      else for (const [id, g] of item.step.sent) if (g !== undefined) gradOf(id, g);
    }
    else if (item.kind === "update") updated.set(item.node, item.param.new);
    else {
      if (item.edge.product !== undefined) edgeGrads.set(item.key, item.edge.product);
      if (item.edge.sum !== undefined) gradOf(item.edge.input, item.edge.sum);
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
      if (timeline.alias && timeline.alias.has(item.edge.input)) nodes.add(timeline.alias.get(item.edge.input));
    } else if (item.kind === "group") {
      nodes.add(item.node);
      if (item.dir === "backward") {
        for (const id of item.step.sent.keys()) {
          nodes.add(id);
          if (timeline.alias.has(id)) nodes.add(timeline.alias.get(id));
        }
      }
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

// How far the first k items of a timeline go into the answer's steps: the step and the
// edge of it last played (a folded group's step covers all of its edges), or null.
export function progressAt(timeline, k) {
  if (!timeline || k <= 0) return null;
  const item = timeline.items[Math.min(k, timeline.items.length) - 1];
  return [item.at, item.kind === "group" || item.last ? Infinity : (item.index ?? 0)];
}

// The position of another folding of the same answer that has played as far: every item
// up to that progress, none past it.
export function stepAtProgress(timeline, progress) {
  if (!timeline || !progress) return 0;
  const [at, index] = progress;
  let k = 0;
  for (const item of timeline.items) {
    const mine = item.kind === "group" ? Infinity : (item.index ?? 0);
    if (item.at < at || (item.at === at && mine <= index)) k += 1;
    else if (item.kind !== "update") break;
  }
  return k;
}
