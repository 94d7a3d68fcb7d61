// Teaching models, with no DOM: the predict-then-reveal quiz and the "forgot the +="
// replay. (The gate patterns are the op catalogue's: see explain.js.)

// A typed answer is right when it matches what the page would show: three significant
// digits, so a relative tolerance of 1% (and a small absolute one near zero).
export function isRight(expected, typed) {
  if (typeof expected !== "number" || !Number.isFinite(typed)) return false;
  return Math.abs(typed - expected) <= Math.max(0.01 * Math.abs(expected), 0.005);
}

export function parseAnswer(text) {
  const cleaned = String(text).trim().replace(/[−–]/g, "-").replace(/，/g, ".");
  if (cleaned === "") return NaN;
  return Number(cleaned);
}

// The backward pass as a buggy implementation writes it: `d = ...` where it should be
// `d += ...`, so each node keeps only its last contribution, and the wrong value flows
// on into everything before it. Scalars only: with tensors the page has no local
// derivative to multiply by.
export function forgetPlusEquals(timeline) {
  const { body, nodes } = timeline;
  const steps = body.steps.filter((s) => s.phase === "backward");
  const scalar = body.nodes.every((n) => n.shape.length === 0);
  if (!steps.length || !scalar) return { supported: false, rows: [], fanOut: false };
  const buggy = new Map([[body.output, nodes.get(body.output).grad]]);
  let fanOut = false;
  for (const step of steps) {
    const upstream = buggy.get(step.node) ?? 0;
    for (const edge of step.edges) {
      if (edge.accumulate) fanOut = true;
      const local = typeof edge.local === "number" ? edge.local : NaN;
      buggy.set(edge.input, upstream * local);
    }
  }
  const rows = [];
  for (const node of body.nodes) {
    if (!node.requires_grad || node.id === body.output || typeof node.grad !== "number") continue;
    const wrong = buggy.has(node.id) ? buggy.get(node.id) : 0;
    const off = wrong - node.grad;
    rows.push({ id: node.id, node, correct: node.grad, buggy: wrong, off,
                wrong: Math.abs(off) > 1e-12 * Math.max(1, Math.abs(node.grad)) });
  }
  return { supported: true, rows, fanOut };
}

// Practice scores live in the browser, per program.
export function scoreKey(program) {
  let h = 0;
  for (let i = 0; i < program.length; i += 1) h = (Math.imul(31, h) + program.charCodeAt(i)) | 0;
  return `backprop-lab.score.${(h >>> 0).toString(36)}`;
}

export function loadScore(storage, program) {
  try {
    const saved = JSON.parse(storage.getItem(scoreKey(program)) || "null");
    return saved && Number.isInteger(saved.right) && Number.isInteger(saved.total) ? saved : null;
  } catch {
    return null;
  }
}

export function saveScore(storage, program, score) {
  storage.setItem(scoreKey(program), JSON.stringify(score));
}
