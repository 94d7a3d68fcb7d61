// The circuit's request, derived from the state. What POST /api/graph is asked
// (`requestBody`) is a function of the state: the program, its values (with the
// parameters of a training run a person is watching) and the options the open panels
// need. Whenever it changes, it is sent (debounced: typing sends one
// request, not one a key); a request already sent is not sent again; a newer request
// aborts the one in flight, and an answer to anything but the newest is dropped. No
// panel schedules a request: they change the state, and this follows.

import * as api from "./api.js";
import { nextTask } from "./columns.js";
import { foldsAnswer, prepareFold } from "./groups.js";
import { keptValues, sweepTarget, watchedParams } from "./selectors.js";

const DEBOUNCE_MS = 150;
// A program this long (about 1,000 gates) is asked for in the compact answer
// (`format: "columns"`, unpacked by columns.js) and without the gradient check unless
// its tab is open: the check nudges every input through the whole circuit again (most
// of a second on micrograd's demo network), and the circuit of a long program is drawn
// folded or too small to show its marks on the inputs.
export const LONG_PROGRAM = 20_000;
// A request not answered in this time shows its progress (state.loading, drawn by
// circuitpanel.js).
const PROGRESS_AFTER_MS = 300;
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
  const long = state.program.length > LONG_PROGRAM;
  const body = { source: state.program, values, check: !long || state.tab === "check" };
  if (long) body.format = "columns";
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
  // whether the request sent last answers this one: the same, or the same with the
  // gradient check (a long program's, asked for while its tab was open, not asked again
  // when the tab closes)
  const answers = (body, key = keyOf(body)) => body !== null
    && (key === sent || (!body.check && keyOf({ ...body, check: true }) === sent));

  async function send() {
    const state = store.get();
    const body = requestBody(state);
    if (body === null || answers(body)) return;
    sent = keyOf(body);
    if (inflight) inflight.abort();
    const controller = new AbortController();
    inflight = controller;
    const request = { program: state.program, values: body.values };
    const progress = watchProgress(controller);
    const outcome = await api.graph(body, controller.signal, progress.report);
    progress.stop();
    if (outcome.aborted || inflight !== controller) return; // a newer request is on its way
    if (outcome.ok && foldsAnswer(outcome.body)) {
      // a big answer's fold index in slices of its own, before the task that draws it
      progress.report({ phase: "drawing" });
      await prepareFold(outcome.body, { signal: controller.signal });
      await nextTask();
      if (inflight !== controller) return;
    }
    inflight = null;
    if (outcome.ok) {
      sent = keyOf(answeredBody(body, outcome.body));
      actions.graphAnswered(outcome.body, request);
    } else {
      actions.graphFailed(outcome.error);
    }
  }

  // The progress of the request in flight, shown once it has taken PROGRESS_AFTER_MS:
  // computing, then reading (with the bytes so far), unpacking and drawing.
  function watchProgress(controller) {
    let shown = null;
    let last = { phase: "computing" };
    let lastAt = 0;
    const show = (progress) => {
      if (inflight !== controller) return;
      shown = progress;
      lastAt = performance.now();
      actions.graphLoading(progress);
    };
    const timer = setTimeout(() => show(last), PROGRESS_AFTER_MS);
    return {
      report(progress) {
        last = progress;
        // a new phase at once, more bytes a few times a second
        if (shown && (progress.phase !== shown.phase || performance.now() - lastAt > 250)) show(progress);
      },
      stop() { clearTimeout(timer); },
    };
  }

  let inputs = [];
  function onState(state) {
    // most changes (a hover, a step) touch nothing a request is made of: skip the JSON
    const next = REQUEST_INPUTS.map((name) => state[name]);
    if (next.every((v, i) => v === inputs[i])) return;
    inputs = next;
    const body = requestBody(state);
    const key = keyOf(body);
    if (key === seen) return;
    seen = key;
    clearTimeout(timer);
    if (!answers(body, key)) timer = setTimeout(send, delay);
  }

  store.subscribe(onState);
  onState(store.get());
}
