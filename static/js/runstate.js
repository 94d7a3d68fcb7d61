// The training run's transitions, pure functions of the state (state in, patch out): what
// each server-sent event does to the run, the flight recorder, the learner's own points
// and "step through this pass". actions.js calls them and commits their patches; nothing
// here touches the DOM, the network or the store.

import { dataInputs, paramsKey, recorded } from "./selectors.js";

const MAX_HISTORY = 2000; // points of the live loss curve kept on the page
export const MAX_OWN_POINTS = 2000; // the server's limit too: more are refused there
const MAX_SNAPSHOTS = 200; // the flight recorder's bound (the server's MAX_SNAPSHOTS)
const OWN_BOX = { x0: -1.5, x1: 1.5, y0: -1.5, y1: 1.5 }; // where clicks land on a blank plot

// The passes a second the pace control offers, slowest first: 0 is one pass per click,
// null as fast as the server goes.
export const PACES = [0, 1, 2, 5, 10, 30, 100, null];

export function paceOf(index) {
  return PACES[Math.max(0, Math.min(PACES.length - 1, index))];
}

// The run's control for a pace setting: one per click is a paused run.
export function controlOf(index) {
  const pace = paceOf(index);
  return { pace: pace === 0 ? null : pace, paused: pace === 0 };
}

export function runStarted(state, options) {
  const control = controlOf(state.trainPace);
  return { training: { status: "running", program: state.program, pass: 0, passes: options.passes,
                       history: null,
                       snapshots: [], lr: options.lr, mode: options.mode,
                       optimizer: options.optimizer, n: options.n, held: false, ...control },
           recorderAt: null, recorderView: null };
}

// The run after one of its server-sent events.
export function runAfter(state, name, data) {
  const run = state.training || {};
  if (name === "queued") { // waiting for a worker of the server's job queue: 1 is next
    return { training: { ...run, status: "running", runId: data.run_id, queued: data.position } };
  }
  if (name === "start") {
    const patch = { training: { ...run, status: "running", runId: data.run_id, queued: null,
                                trainable: data.trainable } };
    if (data.data) patch.trainData = { ...data.data, key: `run ${data.run_id}`, box: boxOf(state) };
    return patch;
  }
  if (name === "progress") {
    // each progress event carries the history points and snapshots since the last one
    const history = run.history || { passes: [], loss: [] };
    const passes = [...history.passes, ...data.history.passes];
    const loss = [...history.loss, ...data.history.loss];
    if (!passes.length || passes[passes.length - 1] < data.pass) { // a watched pass: on the curve
      passes.push(data.pass);
      loss.push(data.loss);
    }
    const keep = passes.length > MAX_HISTORY ? (_, i) => i % 2 === 0 || i === passes.length - 1 : null;
    return { training: { ...run, status: "running", pass: data.pass, loss: data.loss,
                         accuracy: data.accuracy, params: data.params || run.params,
                         boundary: data.boundary || run.boundary,
                         neurons: data.neurons || run.neurons,
                         snapshots: thinned([...(run.snapshots || []), ...(data.snapshots || [])]),
                         history: keep ? { passes: passes.filter(keep), loss: loss.filter(keep) }
                           : { passes, loss } } };
  }
  if (name === "done") {
    const last = data.history.loss[data.history.loss.length - 1];
    return { training: { ...run, status: data.cancelled ? "cancelled" : "done",
                         stopped: data.stopped, pass: data.passes_done, loss: last,
                         accuracy: data.accuracy, params: data.params,
                         boundary: data.boundary || run.boundary,
                         neurons: data.neurons || run.neurons, trainable: data.trainable,
                         snapshots: data.snapshots, history: data.history,
                         seconds: data.seconds, ended: paramsKey(state.values, data.params || {}) } };
  }
  if (name === "error") return { training: { ...run, status: "error", error: data.error } };
  return null;
}

// A run the learner cancels: its result (the parameters of its last progress) on show.
export function runCancelled(state) {
  const run = state.training;
  if (!run || run.status !== "running") return null;
  return { training: { ...run, status: "cancelled", ended: paramsKey(state.values, run.params || {}) } };
}

// The flight recorder as the server keeps it: at most MAX_SNAPSHOTS, every other one
// dropped (the last kept) when there would be more.
function thinned(snapshots) {
  if (snapshots.length <= MAX_SNAPSHOTS) return snapshots;
  return snapshots.filter((_, i) => i % 2 === 0 || i === snapshots.length - 1);
}

// -- pace -----------------------------------------------------------------------------

// A new pace: one pass per click is the slowest (a paused run that steps); any other
// pace goes on, unless the learner has paused it (`held`).
export function paceSet(state, index) {
  const patch = { trainPace: index };
  const run = state.training;
  if (run && run.status === "running") {
    patch.training = { ...run, pace: controlOf(index).pace, paused: index === 0 || Boolean(run.held) };
  }
  return patch;
}

export function runPaused(state, held) {
  const run = state.training;
  if (!run || run.status !== "running") return null;
  return { training: { ...run, held, paused: held || state.trainPace === 0 } };
}

// -- the flight recorder ----------------------------------------------------------------

export function scrubTo(state, index) {
  const run = state.training;
  const count = run && run.snapshots ? run.snapshots.length : 0;
  if (!count) return null;
  // the last snapshot of a run still going is live: it follows the run
  const live = index === null || (index >= count - 1 && run.status === "running");
  const at = live ? null : Math.max(0, Math.min(index, count - 1));
  return at === state.recorderAt ? null : { recorderAt: at };
}

// "Step through this pass": the snapshot's parameters into the program, the update on
// with the run's optimiser, its state there and the run's rate (N times it in seed 004's
// mode, whose step is on the summed loss), and the stepper at the start of the pass.
export function throughPass(state) {
  const snapshot = recorded(state) || lastSnapshot(state.training);
  const run = state.training;
  if (!snapshot || !run) return null;
  const scale = run.mode === "seed004" && run.n ? run.n : 1;
  const optimizer = run.optimizer || state.optimizer;
  return {
    values: { ...state.values, ...snapshot.params }, update: true, lr: run.lr * scale,
    params: run.trainable || null, optimizer,
    optimizerState: { program: state.program, name: optimizer.name, t: snapshot.pass + 1,
                      params: snapshot.state || {} },
    landing: 0, step: 0, tab: "explain", playing: false,
  };
}

function lastSnapshot(run) {
  return run && run.snapshots && run.snapshots.length ? run.snapshots[run.snapshots.length - 1] : null;
}

// -- data: a data set, none, or the learner's own points ------------------------------------

// The data into the circuit's inputs the program reads it from (X and y, or the inputs
// the learner bound them to).
export function dataInto(state, data) {
  const values = { ...state.values };
  if (data) {
    const into = dataInputs(state.program, state.trainBind);
    if (into.x) values[into.x] = data.X;
    if (into.y) values[into.y] = data.y;
  }
  return values;
}

export function dataLoaded(state, spec, body) {
  const own = spec.name === "own";
  const data = { X: body.X, y: body.y, classes: body.classes ?? null, key: JSON.stringify(spec),
                 own, box: own ? boxOf(state) : null };
  const running = state.training && state.training.status === "running";
  const patch = { trainData: data, values: dataInto(state, data),
                  training: running ? state.training : null, dataLoading: false };
  if (own) patch.ownPoints = data;
  return patch;
}

// The box the plot shows now, kept while the learner adds points.
function boxOf(state) {
  const data = state.trainData;
  if (data && data.box) return data.box;
  const run = state.training;
  const b = run && run.boundary;
  if (b) return { x0: b.x0, x1: b.x1, y0: b.y0, y1: b.y1 };
  if (data && data.X && data.X.length) return padded(data.X);
  return OWN_BOX;
}

function padded(X) {
  const xs = X.map((p) => p[0]);
  const ys = X.map((p) => p[1]);
  return { x0: Math.min(...xs) - 0.5, x1: Math.max(...xs) + 0.5,
           y0: Math.min(...ys) - 0.5, y1: Math.max(...ys) + 0.5 };
}

// A click on the plot: a point of class `label`, added to the learner's own points (the
// classified points on show become their own the first time).
export function pointAdded(state, point, label) {
  const data = state.trainData;
  const base = data && data.classes != null ? data : { X: [], y: [] };
  if (base.X.length >= MAX_OWN_POINTS) return null;
  const y = [...base.y, label];
  return dataLoaded(state, { name: "own" }, { X: [...base.X, point], y, classes: Math.max(...y) + 1 });
}

export function pointsCleared(state) {
  const data = { X: [], y: [], classes: null, key: "own []", own: true, box: boxOf(state) };
  return { trainData: data, ownPoints: data, training: null };
}
