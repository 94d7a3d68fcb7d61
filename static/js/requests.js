// The circuit's request, derived from the state. What POST /api/graph is asked
// (`requestBody`) is a function of the state: the program, its values (with the
// parameters of a training run a person is watching) and the options the open panels
// need. Whenever it changes, it is sent (debounced: typing sends one
// request, not one a key); a request already sent is not sent again; a newer request
// aborts the one in flight, and an answer to anything but the newest is dropped. No
// panel schedules a request: they change the state, and this follows.

import * as api from "./api.js";
import { keptValues, sweepTarget, watchedParams } from "./selectors.js";

const DEBOUNCE_MS = 150;
// The fields of the state requestBody reads.
const REQUEST_INPUTS = ["ops", "dataLoading", "program", "values", "expandAll", "expanded", "foldGroups", "update",
                        "lr", "params", "optimizer", "optimizerState", "tab", "codeNotice",
                        "sweepInput", "sweepRange", "result", "training", "recorderAt"];

// What to ask the server for: the circuit, plus what the open tab shows. Null while
// there is nothing to ask yet (the op catalogue, or a preset's data set, is on its way).
export function requestBody(state) {
  if (state.ops === null || state.dataLoading) return null;
  // a run a person watches: the circuit at its pass
  const watched = watchedParams(state);
  const values = watched ? { ...state.values, ...watched } : state.values;
  const body = { source: state.program, values, check: true };
  if (state.foldGroups) body.groups = true; // a big program's answer comes folded (groups.js)
  if (state.expandAll) body.expand = true;
  else if (state.expanded.length) body.expand = state.expanded;
  if (state.update) {
    body.lr = state.lr;
    if (state.params) body.params = state.params;
    const { optimizer, optimizerState: carried } = state;
    if (optimizer.name !== "sgd") body.optimizer = optimizer;
    // the state the applied updates left, while the program and the optimiser are the same
    if (carried && carried.program === state.program && carried.name === optimizer.name) {
      body.optimizer_state = { t: carried.t, params: carried.params };
    }
  }
  if (state.tab === "code" && !state.codeNotice) body.code = true;
  const input = sweepTarget(state);
  if (input) {
    body.sweep = { input };
    const range = state.sweepRange;
    if (range && range.input === input) Object.assign(body.sweep, followed(range, state.values[input]));
  }
  return body;
}

// The nudge plot's kept range, moved to centre on the input's typed value when that
// value has left it: the point and its tangent stay in the frame.
function followed({ from, to }, value) {
  if (typeof value !== "number" || !Number.isFinite(value) || (value >= from && value <= to)) {
    return { from, to };
  }
  const half = (to - from) / 2;
  return { from: value - half, to: value + half };
}

// The request an answer makes of the state it lands in: the values it does not read
// are dropped, and the nudge plot keeps the range it chose (actions.js `answered`).
// That is no change to send again.
function answeredBody(body, answer) {
  const out = { ...body, values: keptValues(body.values, answer) };
  if (body.sweep && answer.sweep) {
    out.sweep = { input: answer.sweep.input, from: answer.sweep.from, to: answer.sweep.to };
  }
  return out;
}

export function watchGraph({ store, actions, delay = DEBOUNCE_MS }) {
  let seen = null; // the request the state asks for, as last seen
  let sent = null; // the request sent last (or the state an answer to it leaves)
  let inflight = null; // the AbortController of the request in flight
  let timer = null;

  const keyOf = (body) => (body ? JSON.stringify(body) : null);

  async function send() {
    const state = store.get();
    const body = requestBody(state);
    const key = keyOf(body);
    if (key === null || key === sent) return;
    sent = key;
    if (inflight) inflight.abort();
    const controller = new AbortController();
    inflight = controller;
    const request = { program: state.program, values: body.values };
    const outcome = await api.graph(body, controller.signal);
    if (outcome.aborted || inflight !== controller) return; // a newer request is on its way
    inflight = null;
    if (outcome.ok) {
      sent = keyOf(answeredBody(body, outcome.body));
      actions.graphAnswered(outcome.body, request);
    } else {
      actions.graphFailed(outcome.error);
    }
  }

  let inputs = [];
  function onState(state) {
    // most changes (a hover, a step) touch nothing a request is made of: skip the JSON
    const next = REQUEST_INPUTS.map((name) => state[name]);
    if (next.every((v, i) => v === inputs[i])) return;
    inputs = next;
    const key = keyOf(requestBody(state));
    if (key === seen) return;
    seen = key;
    clearTimeout(timer);
    if (key !== null && key !== sent) timer = setTimeout(send, delay);
  }

  store.subscribe(onState);
  onState(store.get());
}
