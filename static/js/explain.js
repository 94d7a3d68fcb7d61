// What the explanation panel says for a step: plain words and the chain-rule product.
//
// What it knows of each op comes from the op catalogue (GET /api/ops, by name in
// `ops`): how a gate is written on its operands (`notation`), its pattern of backward
// flow (`pattern`), and which extra note a backward step through it gets
// (`backward_note`, tensorsteps.js). A new op needs no change here.

import { inline, label, num, shapeText, term, valueText } from "./format.js";
import { t } from "./i18n.js";
import { tensorNotes } from "./tensorsteps.js";

const OPERAND = /\{([ab])\}/g;

// How a node is called in a formula: its name, else its source text, else its gate label.
export function displayName(node, source) {
  if (node.name) return node.name;
  if (node.op === "const") return node.label;
  const text = spanText(source, node.span);
  if (text && text.length <= 24) {
    const call = /^[\p{L}_][\p{L}\p{N}_]*(\(.*\))$/u.exec(text);
    return enclosed(text) || (call && enclosed(call[1])) ? text : `(${text})`;
  }
  return node.label;
}

// The source's lines, split once per text: a render asks for every node's span, and
// splitting a long program again for each was most of a paste's time (issue 15). The
// few texts kept are the program typed and the one the drawn answer came from.
const LINES_KEPT = 4;
const linesOf = new Map();

function sourceLines(source) {
  let lines = linesOf.get(source);
  if (lines) return lines;
  lines = source.split("\n");
  if (linesOf.size >= LINES_KEPT) linesOf.delete(linesOf.keys().next().value);
  linesOf.set(source, lines);
  return lines;
}

export function spanText(source, span) {
  if (!span || !source) return "";
  const lines = sourceLines(source);
  const line = lines[span.line - 1] ?? "";
  const end = span.end_line === span.line ? span.end_column - 1 : line.length;
  return line.slice(span.column - 1, end);
}

// The gate applied to its operands' numbers: `(−2) + 5` by the op's notation, else
// `label(a, b, params)`, whose own parentheses need no more around a negative: log(−1).
function forwardExpr(node, nodes, op) {
  const operands = node.inputs.map((id) => nodes.get(id));
  if (op && op.notation) {
    const args = operands.map((input) => term(input.value, input.shape));
    return op.notation.replace(OPERAND, (_, name) => args["ab".indexOf(name)] ?? "");
  }
  const args = operands.map((input) => inline(input.value, input.shape));
  const params = Object.values(node.params || {}).map(String);
  return `${node.label}(${[...args, ...params].join(", ")})`;
}

export function explain(timeline, state, lang, source, ops = {}) {
  const { body, nodes } = timeline;
  const out = nodes.get(body.output);
  const outName = displayName(out, source);
  const item = state.current;
  if (!item) return { title: t(lang, "start"), math: "", note: "", table: null, marks: null };
  if (item.kind === "group") return explainGroup(timeline, item, state, lang, source, outName);
  if (item.kind === "forward") {
    const node = nodes.get(item.node);
    const name = displayName(node, source);
    const value = valueText(node.value, node.shape);
    let title;
    if (node.op === "input") title = t(lang, "forwardInput", { name, value });
    else if (node.op === "const") title = t(lang, "forwardConst", { value });
    else title = t(lang, "forwardGate", { name, expr: forwardExpr(node, nodes, ops[node.op]), value });
    const done = state.k !== timeline.forwardCount ? ""
      : t(lang, timeline.items.length > state.k ? "forwardDone" : "noGrad",
          { out: outName, value: valueText(out.value, out.shape) });
    const note = [warnings(node, lang), done].filter(Boolean).join(" ");
    return { title, math: "", note, table: null, marks: null };
  }
  if (item.kind === "update") return explainUpdate(timeline, item, state, lang, outName);
  if (item.kind === "seed") {
    return { title: t(lang, "seed", { out: outName, value: label(item.grad, out.shape) }),
             math: "", note: t(lang, "seedNote"), table: null, marks: null };
  }
  const gate = nodes.get(item.gate);
  const params = edgeParams(timeline, item, source);
  let math;
  if (item.edge.local === null || item.edge.local === undefined) {
    math = t(lang, "edgeTensor", params);  // a vjp, or a local derivative too big to send
  }
  else math = chainLine(timeline, item, source, ops[gate.op] || {}, params);
  const notes = [t(lang, "localRule", params)];
  const op = ops[gate.op] || {};
  if (op.pattern) notes.push(t(lang, `pattern.${op.pattern}`));
  const tensor = tensorNotes(op.backward_note, tensorContext(timeline, item, lang, source));
  if (tensor) {
    if (tensor.math) math = `${math}\n${tensor.math} = ${inline(item.edge.product, [])}`;
    notes.push(...tensor.notes);
  }
  if (item.edge.accumulate) notes.push(t(lang, "runningSum", params));
  if (state.k === state.total) notes.push(t(lang, "done", { out: outName }));
  return { title: "", math, note: notes.join(" "), table: tensor ? tensor.table : null,
           marks: tensor ? tensor.marks : null };
}

// The chain rule as cs231n writes it: the local derivative named by what it equals, then
// evaluated with every number put in, ∂f/∂x = ∂f/∂q · ∂q/∂x = ∂f/∂q · y = (−4) · 5 = −20.
// Where the gate is the output the upstream factor is the seed 1 and is left out, so the
// line is not circular: ∂f/∂q = z = −4; at σ, σ(1)(1 − σ(1)) = 0.731 · 0.269 = 0.197.
function chainLine(timeline, item, source, op, params) {
  const { edge } = item;
  const gate = timeline.nodes.get(item.gate);
  const rule = op.local ? op.local[edge.position] : null;
  const scalar = !gate.shape.length;
  const operands = gate.inputs.map((id) => timeline.nodes.get(id));
  const symbolic = rule && scalar ? fillRule(rule, operands.map((n) => displayName(n, source)))
    : `∂${params.gate}/∂${params.input}`;
  const numeric = rule && scalar ? fillRule(rule, operands.map((n) => num(n.value)))
    : params.local;
  const factors = edge.factors ? edge.factors.map((x) => term(x, [])).join(" · ") : null;
  const isOut = gate.id === timeline.body.output;
  const head = `∂${params.out}/∂${params.input} ${params.op}`;
  const up = `∂${params.out}/∂${params.gate}`;
  let parts;
  if (isOut && scalar && edge.upstream === 1) parts = [symbolic, numeric, factors];
  else {
    const chain = isOut ? []
      : [`${up} · ∂${params.gate}/∂${params.input}`, `${up} · ${wrapped(symbolic)}`];
    parts = [...chain, `${params.upstream} · ${wrapped(numeric)}`,
             factors && `${params.upstream} · ${factors}`];
  }
  parts.push(params.product);
  const given = parts.filter(Boolean);
  const shown = given.filter((p, i) => i === 0 || p !== given[i - 1]);
  // `∂f/∂q · 1` says nothing that `(−4) · 1` does not
  const kept = shown.filter((p) => !(rule && p === `${up} · ${numeric}` && symbolic === numeric));
  return `${head} ${kept.join(" = ")}`;
}

// The practice hint for a backward edge: the upstream gradient and the local derivative
// named by what it equals and evaluated, as the chain-rule line writes them:
// { upstream: "∂f/∂q = −4", local: "∂q/∂x = 1" }; at *, "∂f/∂q = z = −4".
export function edgeHint(timeline, item, source, ops = {}) {
  const { edge } = item;
  const gate = timeline.nodes.get(item.gate);
  const params = edgeParams(timeline, item, source);
  const op = ops[gate.op] || {};
  const rule = op.local ? op.local[edge.position] : null;
  const operands = gate.inputs.map((id) => timeline.nodes.get(id));
  const head = `∂${params.gate}/∂${params.input}`;
  let parts;
  if (edge.local === null || edge.local === undefined) parts = [`${head}: ${params.formula}`];
  else if (rule && !gate.shape.length) {
    const factors = edge.factors ? edge.factors.map((x) => term(x, [])).join(" · ") : null;
    parts = [head, fillRule(rule, operands.map((n) => displayName(n, source))),
             fillRule(rule, operands.map((n) => num(n.value))), factors,
             inline(edge.local, [])];
  } else parts = [head, inline(edge.local, gate.shape)];
  const given = parts.filter(Boolean);
  const local = given.filter((p, i) => i === 0 || p !== given[i - 1]).join(" = ");
  const upstream = `∂${params.out}/∂${params.gate} = ${inline(sent(edge.upstream, gate.shape), gate.shape)}`;
  return { upstream, local };
}

// A rule written on the operands' names or numbers: `{a}` inside its own parentheses
// takes the text bare (σ(1), cos(x + y)), elsewhere a negative or a sum is bracketed.
function fillRule(rule, texts) {
  const at = (name) => texts["ab".indexOf(name)] ?? "";
  if (/^\{[ab]\}$/.test(rule)) return at(rule[1]);
  const bare = (x) => (enclosed(x) ? x.slice(1, -1) : x);
  return rule.replace(/\(\{([ab])\}\)/g, (_, n) => `(${bare(at(n))})`)
    .replace(OPERAND, (_, n) => wrapped(at(n)));
}

// Whether the whole text is one pair of parentheses: `(x + y)`, not `(a)(b)`.
function enclosed(text) {
  if (!text.startsWith("(") || !text.endsWith(")")) return false;
  let depth = 0;
  for (let i = 0; i < text.length - 1; i++) {
    depth += text[i] === "(" ? 1 : text[i] === ")" ? -1 : 0;
    if (depth === 0) return false;
  }
  return true;
}

// A negative, or a sum outside any parentheses, bracketed where it stands in a product.
function wrapped(text) {
  let depth = 0;
  let sum = /^[−-]/.test(text);
  for (let i = 0; i < text.length && !sum; i++) {
    depth += text[i] === "(" || text[i] === "[" ? 1 : text[i] === ")" || text[i] === "]" ? -1 : 0;
    sum = depth === 0 && text[i] === " " && "+−".includes(text[i + 1] ?? "");
  }
  return sum && !enclosed(text) ? `(${text})` : text;
}

function tensorContext(timeline, item, lang, source) {
  const { nodes } = timeline;
  const gate = nodes.get(item.gate);
  const input = nodes.get(item.edge.input);
  const position = item.edge.position;
  const other = gate.inputs.length === 2 ? nodes.get(gate.inputs[1 - position]) : null;
  const names = { out: displayName(nodes.get(timeline.body.output), source),
                  gate: displayName(gate, source), input: displayName(input, source),
                  other: other ? displayName(other, source) : "" };
  return { gate, input, other, position, item, names, lang };
}


// The numbers and names of a backward edge, for the explanation and the quiz.
export function edgeParams(timeline, item, source) {
  const { body, nodes } = timeline;
  const gate = nodes.get(item.gate);
  const input = nodes.get(item.edge.input);
  return {
    out: displayName(nodes.get(body.output), source),
    gate: displayName(gate, source),
    input: displayName(input, source),
    label: gate.label,
    upstream: term(sent(item.edge.upstream, gate.shape), gate.shape),
    local: item.edge.local == null ? "" : term(item.edge.local, gate.shape),
    product: inline(sent(item.edge.product, input.shape), input.shape),
    sum: inline(sent(item.edge.sum, input.shape), input.shape),
    formula: item.edge.formula,
    op: item.edge.accumulate ? "+=" : "=",
  };
}

// A big tensor the answer did not send again (a partial sum, one part of a sum) is
// written as its shape, like any tensor too big to write out.
function sent(value, shape) {
  return value === undefined && shape.length ? `[${shapeText(shape)}]` : value;
}

function warnings(node, lang) {
  if (!node.warnings || !node.warnings.length) return "";
  const text = node.warnings.join("; ");
  return `${t(lang, "warning")}: ${text}${/[.。]$/.test(text) ? "" : "."}`;
}


// Four significant digits, as the seeds write an update (0.40 − 0.5 × 0.0822 = 0.3589).
function digits4(x) {
  if (typeof x !== "number" || x === 0) return num(x);
  const ax = Math.abs(x);
  if (ax >= 1e5 || ax < 1e-3) return num(x);
  return String(Number(x.toPrecision(4))).replace(/^-/, "−");
}

// A value in an update's formula: four digits, a small tensor's numbers, negatives in
// parentheses where they stand inside a formula.
function updateValue(x, inside = false) {
  const text = Array.isArray(x) ? inline(x, []) : digits4(x);
  return inside && text.startsWith("−") ? `(${text})` : text;
}

// Momentum's and Adam's lines, each written in symbols and then in numbers:
// v ← μ·v − r·∂E/∂w5 = 0.9 × 0 − 0.5 × 0.08217 = −0.04108. Each name stands for its
// latest value: the state before the step until a line above sets it anew.
function optimizerLines(optimizer, p, lr, outName) {
  const symbols = { ...optimizer.symbols, w: p.name, g: `∂${outName}/∂${p.name}` };
  const values = { ...optimizer.hyper, ...p.state, w: p.value, g: p.grad, r: lr, t: optimizer.t };
  return optimizer.lines.map((line) => {
    const symbolic = line.formula.replace(/\{(\w+)\}/g, (_, n) => symbols[n] ?? n);
    const numeric = line.formula.replace(/\{(\w+)\}/g, (_, n) => updateValue(values[n], true))
      .replaceAll("·", " × ");
    const result = line.name === "w" ? p.new : p.terms[line.name];
    values[line.name] = result;
    const target = line.name === "w" ? p.name : symbols[line.name] ?? line.name;
    return `${target} ← ${symbolic} = ${numeric} = ${updateValue(result)}`;
  });
}

function explainUpdate(timeline, item, state, lang, outName) {
  const p = item.param;
  const tensor = Array.isArray(p.value);
  const params = {
    name: p.name, out: outName, lr: num(item.lr),
    value: tensor ? inline(p.value, []) : digits4(p.value),
    grad: updateValue(p.grad, true),
    new: tensor ? inline(p.new, []) : digits4(p.new),
  };
  const optimizer = timeline.body.update.optimizer;
  const plain = !optimizer || optimizer.name === "sgd";
  const math = plain ? t(lang, "updateStep", params)
    : optimizerLines(optimizer, p, item.lr, outName).join("\n");
  const notes = [t(lang, plain ? "updateNote" : `optNote.${optimizer.name}`, params)];
  if (state.k === state.total) {
    const data = timeline.body.update.data;
    notes.push(t(lang, data.length ? "updateDoneData" : "updateDone",
                 { data: data.join(", "), out: outName }));
  }
  return { title: "", math, note: notes.join(" "), table: null, marks: null };
}

// A folded group's step (groups.js): what happened inside it, all at once.
const LISTED = 4; // nodes named in a backward step's list
const TITLE_CHARS = 60; // of a statement's line, in a sentence

function explainGroup(timeline, item, state, lang, source, outName) {
  const group = timeline.nodes.get(item.node);
  const { info } = group;
  const title = [...info.title].length > TITLE_CHARS ? `${[...info.title].slice(0, TITLE_CHARS - 1).join("")}…` : info.title;
  const done = [];
  let text;
  if (item.dir === "forward") {
    const out = info.output ? timeline.nodes.get(info.output) : null;
    if (!info.gates) text = t(lang, "groupInputs", { title, count: info.nodes.toLocaleString(lang) });
    else if (out) {
      text = t(lang, "groupForward", { title, gates: info.gates.toLocaleString(lang),
                                        name: displayName(out, source), value: valueText(out.value, out.shape) });
    } else text = t(lang, "groupForwardBare", { title, gates: info.gates.toLocaleString(lang) });
    if (state.k === timeline.forwardCount) {
      const end = timeline.nodes.get(timeline.body.fold.answerOutput);
      done.push(t(lang, timeline.items.length > state.k ? "forwardDone" : "noGrad",
                  { out: outName, value: valueText(end.value, end.shape) }));
    }
  } else {
    const sent = [...item.step.gave.entries()];
    const list = sent.slice(0, LISTED).map(([id, g]) => {
      const node = timeline.nodes.get(id);
      return g === undefined ? displayName(node, source) : `${displayName(node, source)}: ${label(g, node.shape)}`;
    });
    if (sent.length > LISTED) list.push(t(lang, "groupMore", { more: (sent.length - LISTED).toLocaleString(lang) }));
    text = sent.length
      ? t(lang, sent.length === 1 ? "groupBackwardOne" : "groupBackward", { title, gates: item.step.gates.toLocaleString(lang), out: outName,
                                   count: sent.length.toLocaleString(lang), list: list.join(", ") })
      : t(lang, "groupBackwardBare", { title, gates: item.step.gates.toLocaleString(lang) });
    if (state.k === state.total) done.push(t(lang, "done", { out: outName }));
  }
  if (info.gates) done.unshift(t(lang, "groupUnfoldHint"));
  return { title: text, math: "", note: done.join(" "), table: null, marks: null };
}
