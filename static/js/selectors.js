// What the panels read off the state, with no DOM: the timeline of the answer on show,
// what is visible at the current step, the explanation, the input fields, the nudge
// plot's input. Pure functions of the state, remembered for the last arguments (every
// panel asks on every change of the state, and most changes are a hover).

import { displayName, explain } from "./explain.js";
import { full } from "./format.js";
import { t } from "./i18n.js";
import { forgetPlusEquals } from "./lessons.js";
import { firstUses, usesName } from "./names.js";
import { buildTimeline, focusNode, stateAt } from "./timeline.js";

const timelines = new WeakMap();
const WATCHED_PACE = 10; // passes a second up to which the circuit follows a run pass by pass
const bugReports = new WeakMap();

// The stepper's model of an /api/graph answer (null for none).
export function timelineOf(result) {
  if (!result) return null;
  if (!timelines.has(result)) timelines.set(result, buildTimeline(result));
  return timelines.get(result);
}

// The last value of fn for the same arguments (compared with ===).
function remember(fn) {
  let args = null;
  let value;
  return (...next) => {
    if (!args || next.length !== args.length || next.some((a, i) => a !== args[i])) {
      args = next;
      value = fn(...next);
    }
    return value;
  };
}

const viewAt = remember((timeline, step) => {
  const view = stateAt(timeline, step);
  return { timeline, view, focus: focusNode(timeline, view.current) };
});

// The timeline, what is visible at the current step, and the node that step is about.
export function stepView(state) {
  const timeline = timelineOf(state.result);
  if (!timeline) return { timeline: null, view: null, focus: null };
  return viewAt(timeline, state.step);
}

const explanation = remember((timeline, view, lang, program, ops) =>
  explain(timeline, view, lang, program, ops || {}));

// What the explanation panel says at the current step (the circuit outlines its marks).
export function explanationOf(state) {
  const { timeline, view } = stepView(state);
  return timeline ? explanation(timeline, view, state.lang, state.program, state.ops) : null;
}

// The buggy backward pass that overwrites instead of accumulating (lessons.js).
export function bugReport(timeline) {
  if (!bugReports.has(timeline)) bugReports.set(timeline, forgetPlusEquals(timeline));
  return bugReports.get(timeline);
}

export function bugNodes(state) {
  const timeline = timelineOf(state.result);
  if (!state.forget || !timeline) return new Set();
  return new Set(bugReport(timeline).rows.filter((r) => r.wrong).map((r) => r.id));
}

export function outputNode(result) {
  if (result && result.fold) return result.fold.nodes.get(result.output); // no search of 65,000
  return result ? result.nodes.find((n) => n.id === result.output) : null;
}

// The input nodes of an answer, found once per answer (a folded one's every fold shares
// its answer's).
const inputsOf = new WeakMap();
export function inputNodes(result) {
  const key = result.fold ? result.fold.source : result;
  if (!inputsOf.has(key)) inputsOf.set(key, key.nodes.filter((n) => n.op === "input"));
  return inputsOf.get(key);
}

// The values an answer reads: a name the program no longer has is dropped.
export function keptValues(values, result) {
  const known = new Set(result.inputs);
  return Object.fromEntries(Object.entries(values).filter(([k]) => known.has(k)));
}

// The fields of the input panel. While the program lacks values, the missing names get
// empty fields, so the learner can type them in (the error says "give a value below").
export function inputList(state) {
  const { result, values, error, program } = state;
  if (error && error.key === "missing_value" && error.args && error.args.names) {
    const first = firstUses(program);
    // the last circuit's inputs the program still uses keep their fields and numbers
    const shown = new Map((result ? result.nodes : [])
      .filter((n) => n.op === "input" && first.has(n.name)).map((n) => [n.name, n]));
    const names = [...new Set([...Object.keys(values), ...shown.keys(), ...error.args.names])];
    const at = (name) => first.get(name) ?? Infinity;
    names.sort((a, b) => at(a) - at(b));
    return names.map((name) => {
      const value = name in values ? values[name] : shown.has(name) ? shown.get(name).value : null;
      return { name, tensor: Array.isArray(value), value };
    });
  }
  if (!result) return [];
  return inputNodes(result).map((n) => {
    const value = n.name in values ? values[n.name] : n.value;
    // a list typed for a name that was a number in the answer on show is still a list
    return { name: n.name, tensor: n.shape.length > 0 || Array.isArray(value), value };
  });
}

// The nodes to highlight: those of the source line under the pointer, and the hovered one.
export function hoveredNodes(state) {
  const ids = new Set();
  if (!state.result) return ids;
  if (state.hoverLine) {
    for (const node of state.result.nodes) {
      if (node.span && node.span.line <= state.hoverLine && state.hoverLine <= node.span.end_line
          && node.op !== "const") ids.add(node.id);
    }
  }
  if (state.hoverNode) ids.add(state.hoverNode);
  return ids;
}

// The full numbers of the node under the pointer or keyboard focus.
export function nodeInfo(state) {
  const { view } = stepView(state);
  if (!state.hoverNode || !state.result || !view) return "";
  const node = state.result.nodes.find((n) => n.id === state.hoverNode);
  if (!node) return "";
  const { lang } = state;
  const name = displayName(node, state.program);
  const parts = [];
  if (node.info) { // a folded group's box (groups.js): its line, what it holds
    parts.push(node.info.title, t(lang, node.info.gates ? "groupGates" : "groupInputsCount",
                                  { gates: node.info.gates.toLocaleString(lang),
                                    count: node.info.nodes.toLocaleString(lang) }));
    if (node.value === null) return parts.join("    ");
  }
  if (view.shown.has(node.id)) parts.push(t(lang, "infoValue", { name, value: full(node.value) }));
  if (view.grads.has(node.id)) {
    parts.push(t(lang, "infoGrad", { name, out: displayName(outputNode(state.result), state.program),
                                     grad: full(view.grads.get(node.id)) }));
  }
  if (!parts.length) parts.push(t(lang, "infoPending", { name }));
  return parts.join("    ");
}

// The inputs the nudge plot can slide: the scalar ones.
export function sweepChoices(result) {
  return result.nodes.filter((n) => n.op === "input" && n.shape.length === 0).map((n) => n.name);
}

// The input the nudge plot slides while its tab is open: the learner's pick, else the
// first scalar input; null where there is no plot (a tensor output, no scalar input).
export function sweepTarget(state) {
  if (state.tab !== "plot" || !state.result) return null;
  const choices = sweepChoices(state.result);
  if (!choices.length || outputNode(state.result).shape.length) return null;
  return choices.includes(state.sweepInput) ? state.sweepInput : choices[0];
}

// The flight recorder's snapshot on show: the one scrubbed to, or null (the latest, live).
export function recorded(state) {
  const run = state.training;
  if (!run || state.recorderAt === null || !run.snapshots || !run.snapshots.length) return null;
  return run.snapshots[Math.min(state.recorderAt, run.snapshots.length - 1)];
}

// The parameters the circuit is computed with while a person watches a run: the
// recorder's pass scrubbed to, the latest pass of a run that is paused or slow enough
// to follow (the whole circuit's numbers then move with it), or the trained ones of a
// run that has ended, while its result is on show; null otherwise.
export function watchedParams(state) {
  const run = state.training;
  if (!run) return null;
  const snapshot = recorded(state);
  if (snapshot) return snapshot.params;
  if (endedOnShow(state)) return run.params;
  const slow = run.paused || (run.pace !== null && run.pace !== undefined && run.pace <= WATCHED_PACE);
  return run.status === "running" && slow && run.params ? run.params : null;
}

// The values `values` gives the parameters `params` names, as text: a run that ends keeps
// it, to tell when the learner has since changed one.
export const paramsKey = remember((values, params) =>
  JSON.stringify(Object.keys(params).sort().map((name) => (name in values ? values[name] : null))));

// An ended run's result is on show until the learner changes a parameter's value (types
// one, steps through a recorded pass, applies the trained ones) or the program.
function endedOnShow(state) {
  const run = state.training;
  return Boolean(run.ended !== undefined && run.params && run.program === state.program
                 && paramsKey(state.values, run.params) === run.ended);
}

// What each hidden unit of the run on show learned (POST /api/train's `neurons`): at the
// recorder's pass once its pictures are in, else the latest; null for none, and for a
// run of another program than the one on show.
export function neuronsOnShow(state) {
  const run = state.training;
  if (!run || (run.program !== undefined && run.program !== state.program)) return null;
  const snapshot = recorded(state);
  if (!snapshot) return run.neurons || null;
  const view = state.recorderView;
  return view && view.pass === snapshot.pass ? view.neurons || null : null;
}

// While a training run goes, the parameters' numbers in the circuit are the run's latest;
// scrubbing its flight recorder shows them at that pass.
export function liveParams(state) {
  const run = state.training;
  if (!run || !state.result) return null;
  const snapshot = recorded(state);
  const params = snapshot ? snapshot.params : (run.status === "running" && run.params) || null;
  if (!params) return null;
  const live = new Map();
  for (const node of state.result.nodes) {
    if (node.op === "input" && node.name in params) live.set(node.id, params[node.name]);
  }
  return live;
}

// The names a data set's points and labels go to: the learner's choice, else X and y.
export function boundNames(bind) {
  return { x: (bind && bind.x) || "X", y: (bind && bind.y) || "y" };
}

// The inputs the program reads its data from, where its text uses them (the answer on
// show may still be the last program's): {x, y}, each a name or null.
export function dataInputs(program, bind = null) {
  const { x, y } = boundNames(bind);
  return { x: usesName(program, x) ? x : null, y: usesName(program, y) ? y : null };
}

// A data set with more classes than the network has outputs (POST /api/train's
// `label_range` error): {classes, outputs}, or null.
export function classMismatch(error) {
  const args = error && error.key === "label_range" ? error.args : null;
  if (!args) return null;
  const { label, classes } = args;
  if (!Number.isInteger(label) || !Number.isInteger(classes) || label < classes) return null;
  return { classes: label + 1, outputs: classes };
}

// The program with its last layer widened to `classes` outputs: W2's rows and b2 given
// zero entries up to that many columns; null where the program has no such literal lines.
export function widenedProgram(program, classes) {
  const lines = program.split("\n");
  const literal = (name) => {
    const at = lines.findIndex((l) => {
      const [left, right] = [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)];
      return l.includes("=") && left.trim() === name && right.trim().startsWith("[");
    });
    if (at < 0) return null;
    try {
      return { at, value: JSON.parse(lines[at].slice(lines[at].indexOf("=") + 1)) };
    } catch {
      return null;
    }
  };
  const w = literal("W2");
  const b = literal("b2");
  const numbers = (row) => Array.isArray(row) && row.every((x) => typeof x === "number");
  if (!w || !b || !w.value.length || !w.value.every(numbers) || !numbers(b.value)) return null;
  const width = b.value.length;
  if (width >= classes || !w.value.every((row) => row.length === width)) return null;
  const pad = (row) => [...row, ...Array(classes - width).fill(0)];
  const write = (v) => (Array.isArray(v) ? `[${v.map(write).join(", ")}]` : String(v));
  lines[w.at] = `W2 = ${write(w.value.map(pad))}`;
  lines[b.at] = `b2 = ${write(pad(b.value))}`;
  return lines.join("\n");
}
