// Wires the page: one store holds the state; every change re-renders from it.

import { BuilderPanel } from "./builder.js";
import { CircuitView } from "./circuit.js";
import { Editor } from "./editor.js";
import { displayName, edgeParams, explain } from "./explain.js";
import { exportPng, exportSvg } from "./exporter.js";
import { full, num } from "./format.js";
import { detectLang, errorText, t } from "./i18n.js";
import { InputsPanel } from "./inputs.js";
import { firstUses, usesName } from "./names.js";
import { forgetPlusEquals, isRight, loadScore, parseAnswer, saveScore } from "./lessons.js";
import { Player } from "./player.js";
import { NudgePlot } from "./plot.js";
import { drawLoss } from "./lossplot.js";
import { readEvents, TrainingPanel } from "./training.js";
import { createStore, fromLink, initialState, toLink } from "./state.js";
import { buildTimeline, carryPosition, focusNode, stateAt } from "./timeline.js";

const $ = (id) => document.getElementById(id);

// DOM writes only where something changed: an unchanged write still restyles.
function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setDisabled(node, disabled) {
  if (node.disabled !== disabled) node.disabled = disabled;
}
const DEBOUNCE_MS = 150;

const store = createStore({
  ...initialState(),
  lang: detectLang(window.localStorage, navigator.language),
  ...fromLink(window.location),
});

let timeline = null;
let examples = [];
let pending = null;
let requestTimer = null;
let requested = null; // the program and values of the request in flight or last answered
let restoringStep = store.get().step;
let lastAnswered = null;

// -- talking to the API -----------------------------------------------------------

function scheduleRequest() {
  clearTimeout(requestTimer);
  requestTimer = setTimeout(sendRequest, DEBOUNCE_MS);
}

// What to ask the server for: the circuit, plus what the open tab shows.
function requestBody(state) {
  const body = { source: state.program, values: state.values, check: true };
  if (state.expandAll) body.expand = true;
  else if (state.expanded.length) body.expand = state.expanded;
  if (state.update) {
    body.lr = state.lr;
    if (state.params) body.params = state.params;
  }
  if (state.tab === "code" && !state.codeNotice) body.code = true;
  if (state.tab === "plot" && state.sweepInput) {
    body.sweep = { input: state.sweepInput };
    if (state.sweepRange) [body.sweep.from, body.sweep.to] = state.sweepRange;
  }
  return body;
}

async function sendRequest() {
  const state = store.get();
  const { program, values } = state;
  const payload = requestBody(state);
  const key = JSON.stringify(payload);
  if (requested === key) return;
  requested = key;
  if (pending) pending.abort();
  pending = new AbortController();
  let response;
  let body;
  try {
    response = await fetch("/api/graph", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: pending.signal,
    });
    body = await response.json();
  } catch (err) {
    if (err.name === "AbortError") return;
    store.set({ error: { type: "network", summary: String(err), message: String(err) } });
    return;
  }
  if (!response.ok) {
    const patch = { error: body.error };
    // a stale in-place expansion or sweep must not lock the page: drop it and ask again
    if (String(body.error.key || "").startsWith("expand")) patch.expanded = [];
    const key = String(body.error.key || "");
    if (key.startsWith("sweep")) Object.assign(patch, { sweepInput: null, sweepRange: null });
    // parameters picked for another program: back to the default choice
    if (key === "update_param" && store.get().params) patch.params = null;
    if (key.startsWith("code_")) {
      // too big to write out: say so in the code tab, and draw the circuit anyway
      Object.assign(patch, { error: null, codeNotice: errorText(store.get().lang, body.error) });
    }
    store.set(patch);
    if (patch.expanded || "sweepInput" in patch || "codeNotice" in patch || "params" in patch) {
      scheduleRequest();
    }
    return;
  }
  const old = timeline;
  const next = buildTimeline(body);
  let step;
  if (restoringStep !== null) {
    step = Math.min(restoringStep, next.items.length);
    restoringStep = null;
  } else {
    step = carryPosition(old, store.get().step, next);
  }
  timeline = next;
  const known = new Set(body.inputs);
  const kept = Object.fromEntries(Object.entries(store.get().values).filter(([k]) => known.has(k)));
  const numbers = JSON.stringify([program, values]);
  const sameNumbers = numbers === lastAnswered && old && old.items.length === next.items.length;
  lastAnswered = numbers;
  const patch = { result: body, error: null, step, values: kept };
  if (!sameNumbers) Object.assign(patch, { answers: {}, quiz: null, feedback: "" });
  if (body.sweep) patch.sweepRange = [body.sweep.from, body.sweep.to];
  store.set(patch);
}

// -- the views --------------------------------------------------------------------

const circuit = new CircuitView($("circuit"), {
  onNodeHover: (id) => store.set({ hoverNode: id }),
  onToggleExpand: (origin, expand) => {
    const state = store.get();
    if (state.expandAll && !expand) {
      // collapsing one gate while all are expanded: expand every other composite instead
      const others = state.result.nodes.filter((n) => n.expanded_from && n.origin !== origin)
        .map((n) => n.origin);
      store.set({ expandAll: false, expanded: [...new Set(others)] });
    } else {
      const set = new Set(state.expanded);
      if (expand) set.add(origin); else set.delete(origin);
      store.set({ expanded: [...set] });
    }
    scheduleRequest();
  },
  handleLabel: (expand, label) => t(store.get().lang, expand ? "expandGate" : "collapseGate", { label }),
  checkText: (entry) => t(store.get().lang, "checkBadge", {
    analytic: full(entry.analytic), numeric: full(entry.numeric), error: full(entry.rel_error) }),
});

const plot = new NudgePlot($("plot"));

async function postJson(url, payload) {
  const response = await fetch(url, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload),
  });
  return { ok: response.ok, body: await response.json() };
}

// Build a network: write its programs, show the tensor form, then evaluate both forms
// for the table that lines their gradients up.
async function buildNetwork(spec) {
  let answer;
  try {
    answer = await postJson("/api/network", spec);
  } catch (err) {
    store.set({ networkError: String(err) });
    return;
  }
  if (!answer.ok) {
    store.set({ networkError: errorText(store.get().lang, answer.body.error) });
    return;
  }
  const net = { ...answer.body, form: "tensor", results: null };
  store.set({ network: net, networkError: "", program: net.tensor, values: {}, example: "",
              step: 0, expandAll: false, expanded: [] });
  scheduleRequest();
  if (!net.neuron) return;
  try {
    const [tensor, neuron] = await Promise.all(
      [net.tensor, net.neuron].map((source) => postJson("/api/graph", { source })));
    if (store.get().network !== net || !tensor.ok || !neuron.ok) return;
    store.set({ network: { ...net, results: { tensor: tensor.body, neuron: neuron.body } } });
  } catch {
    // the table is a bonus: without it the two forms still switch
  }
}

const builder = new BuilderPanel({
  form: $("builder-form"), sizes: $("net-sizes"), activation: $("net-activation"),
  loss: $("net-loss"), seed: $("net-seed"), tensor: $("net-tensor"), neuron: $("net-neuron"),
  note: $("net-note"), table: $("net-agree"),
}, {
  onBuild: buildNetwork,
  onForm: (form) => {
    const net = store.get().network;
    if (!net || !net[form]) return;
    store.set({ network: { ...net, form }, program: net[form], values: {}, step: 0,
                example: "", expandAll: false, expanded: [] });
    scheduleRequest();
  },
  onBadSizes: () => store.set({ networkError: t(store.get().lang, "netBadSizes") }),
});

const editor = new Editor({
  textarea: $("program"), backdrop: $("backdrop"), gutter: $("gutter"),
  errorBox: $("error"), errorSummary: $("error-summary"), errorContext: $("error-context"),
}, {
  onInput: (text) => {
    store.set({ program: text, example: "", codeNotice: "" });
    scheduleRequest();
  },
  onHoverLine: (line) => {
    if (store.get().hoverLine !== line) store.set({ hoverLine: line });
  },
});

const inputsPanel = new InputsPanel($("inputs"), (name, value) => {
  store.set({ values: { ...store.get().values, [name]: value } });
  scheduleRequest();
});

const player = new Player({
  onTick: () => {
    if (!timeline || store.get().step >= timeline.items.length) return false;
    stepForward();
    const { step, quiz } = store.get();
    return quiz === null && step < timeline.items.length;
  },
  onStop: () => store.set({ playing: false }),
});

function goTo(step) {
  if (!timeline) return;
  const clamped = Math.max(0, Math.min(step, timeline.items.length));
  const patch = { quiz: null };
  if (clamped === 0) Object.assign(patch, { answers: {}, feedback: "" });
  if (clamped !== store.get().step || store.get().quiz !== null) store.set({ ...patch, step: clamped });
}

// In practice mode a backward wire is a question before it is an answer.
function stepForward() {
  const state = store.get();
  if (!timeline) return;
  const next = timeline.items[state.step];
  if (state.practice && next && next.kind === "edge" && !(state.step in state.answers)) {
    if (state.quiz !== state.step) {
      store.set({ quiz: state.step, feedback: "" });
      $("answer").value = "";
    }
    $("answer").focus();
    return;
  }
  store.set({ feedback: "" });
  goTo(state.step + 1);
}

function answer(shown) {
  const state = store.get();
  if (state.quiz === null || !timeline) return;
  const item = timeline.items[state.quiz];
  const params = edgeParams(timeline, item, state.program);
  let right = false;
  let feedback;
  if (shown) {
    feedback = t(state.lang, "quizShown", params);
  } else {
    const typed = parseAnswer($("answer").value);
    if (Number.isNaN(typed)) {
      store.set({ feedback: t(state.lang, "quizInvalid") });
      return;
    }
    right = isRight(item.edge.product, typed);
    feedback = t(state.lang, right ? "quizRight" : "quizWrong", { ...params, typed: String(typed) });
  }
  const answers = { ...state.answers, [state.quiz]: right };
  const step = state.quiz + 1;
  store.set({ answers, quiz: null, step, feedback });
  const edges = timeline.items.filter((i) => i.kind === "edge").length;
  if (Object.keys(answers).length === edges) {
    saveScore(window.localStorage, state.program,
              { right: Object.values(answers).filter(Boolean).length, total: edges });
  }
}

function togglePlay() {
  if (player.playing) {
    player.pause();
  } else if (timeline) {
    if (store.get().step >= timeline.items.length) store.set({ step: 0 });
    player.setSpeed(store.get().speed);
    player.play();
    store.set({ playing: true });
  }
}

let translatedTo = null;

// Text and accessible names in the chosen language. Only on a change of language:
// touching <html lang> restyles the whole document.
function translatePage(lang) {
  if (translatedTo === lang) return;
  translatedTo = lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) {
    const text = t(lang, node.dataset.i18n);
    if (node.textContent !== text) node.textContent = text;
  }
  const labels = {
    reset: "Reset", back: "Step back", forward: "Step forward", fit: "Fit to screen",
    "zoom-in": "Zoom in", "zoom-out": "Zoom out", speed: "Speed", timeline: "Timeline",
    examples: "Examples", lang: "Language",
  };
  document.querySelector(".lesson-bar").setAttribute("aria-label", t(lang, "Teaching tools"));
  document.querySelector(".descent-bar").setAttribute("aria-label", t(lang, "Gradient descent"));
  document.querySelector(".tabs").setAttribute("aria-label", t(lang, "Views"));
  $("code").setAttribute("aria-label", t(lang, "Python code"));
  $("sweep-input").setAttribute("aria-label", t(lang, "Input to nudge"));
  $("plot").setAttribute("aria-label", t(lang, "Nudge plot"));
  for (const [id, key] of Object.entries(labels)) $(id).setAttribute("aria-label", t(lang, key));
}

// The fields of the input panel. While the program lacks values, the missing names get
// empty fields, so the learner can type them in (the error says "give a value below").
function inputList(result, values, error, program) {
  if (error && error.key === "missing_value" && error.args && error.args.names) {
    const names = [...new Set([...Object.keys(values), ...error.args.names])];
    const first = firstUses(program);
    const at = (name) => first.get(name) ?? Infinity;
    names.sort((a, b) => at(a) - at(b));
    return names.map((name) => ({
      name, tensor: Array.isArray(values[name]), value: name in values ? values[name] : null,
    }));
  }
  if (!result) return [];
  return result.nodes.filter((n) => n.op === "input").map((n) => {
    const value = n.name in values ? values[n.name] : n.value;
    // a list typed for a name that was a number in the answer on show is still a list
    return { name: n.name, tensor: n.shape.length > 0 || Array.isArray(value), value };
  });
}

// The full numbers of the node under the pointer or keyboard focus.
function nodeInfo(state, view, lang) {
  if (!state.hoverNode || !state.result || !view) return "";
  const node = state.result.nodes.find((n) => n.id === state.hoverNode);
  if (!node) return "";
  const out = state.result.nodes.find((n) => n.id === state.result.output);
  const name = displayName(node, state.program);
  const parts = [];
  if (view.shown.has(node.id)) parts.push(t(lang, "infoValue", { name, value: full(node.value) }));
  if (view.grads.has(node.id)) {
    parts.push(t(lang, "infoGrad", { name, out: displayName(out, state.program),
                                     grad: full(view.grads.get(node.id)) }));
  }
  if (!parts.length) parts.push(t(lang, "infoPending", { name }));
  return parts.join("    ");
}

function hoveredNodes(state) {
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

let lastUrl = "";
let lastRevealed = -1;
let urlTimer = null;
const URL_DELAY_MS = 250;
let lastProgramInUrl = null;

function syncUrl(state) {
  const url = window.location.pathname + toLink(state);
  if (url === lastUrl) return;
  const programChanged = lastProgramInUrl !== null
    && (state.program !== lastProgramInUrl.program
        || JSON.stringify(state.values) !== lastProgramInUrl.values);
  if (programChanged) window.history.pushState(null, "", url);
  else window.history.replaceState(null, "", url);
  lastUrl = url;
  lastProgramInUrl = { program: state.program, values: JSON.stringify(state.values) };
}

function render(state) {
  const { lang } = state;
  translatePage(lang);
  if ($("lang").value !== lang) $("lang").value = lang;
  editor.setValue(state.program);

  const result = state.result;
  setHidden($("circuit-empty"), Boolean(result));
  $("circuit-wrap").classList.toggle("stale", Boolean(state.error && result));
  if (state.error) {
    const summary = state.error.line
      ? t(lang, "errorAt", { line: state.error.line, column: state.error.column,
                             message: errorText(lang, state.error) })
      : errorText(lang, state.error);
    editor.showError(result ? `${summary} ${t(lang, "stale")}` : summary, state.error);
  } else {
    editor.showError(null);
  }

  inputsPanel.render(inputList(result, state.values, state.error, state.program), lang);

  const total = timeline ? timeline.items.length : 0;
  const view = timeline ? stateAt(timeline, state.step) : null;
  const focus = timeline ? focusNode(timeline, view.current) : null;
  if (result && timeline) {
    circuit.setGraph(result);
    const names = (node) => displayName(node, state.program);
    const text = explain(timeline, view, lang, state.program);
    circuit.setLive(liveParams(state));
    circuit.update(view, focus ? focus.id : null, hoveredNodes(state), names,
                   state.forget ? bugNodes() : EMPTY, result.gradcheck || null, text.marks);
    // a backward step is about the gradient arriving at the edge's input: keep that in view
    const current = view.current;
    const revealId = current && current.kind === "edge" ? current.edge.input : focus && focus.id;
    if (revealId && state.step !== lastRevealed) circuit.reveal(revealId);
    lastRevealed = state.step;
    setText($("explain-title"), text.title);
    setText($("explain-math"), text.math);
    setText($("explain-note"), text.note);
    renderTable($("explain-table"), text.table);
  }
  setText($("node-info"), nodeInfo(state, view, lang));
  renderLessons(state, view, lang);
  renderDescent(state, view, lang);
  builder.render(state, lang);
  renderTabs(state, view, lang);
  editor.mark("current", focus && focus.span ? focus.span.line : 0);
  const hovered = state.hoverNode && result ? result.nodes.find((n) => n.id === state.hoverNode) : null;
  editor.mark("hover", hovered && hovered.span ? hovered.span.line : 0);

  const timelineInput = $("timeline");
  if (timelineInput.max !== String(total)) timelineInput.max = String(total);
  if (timelineInput.value !== String(state.step)) timelineInput.value = String(state.step);
  setText($("position"), t(lang, "position", { k: state.step, n: total }));
  const play = $("play");
  const playLabel = t(lang, state.playing ? "Pause" : "Play");
  if (play.getAttribute("aria-label") !== playLabel) play.setAttribute("aria-label", playLabel);
  setText(play, state.playing ? "❚❚" : "▶");
  setDisabled($("back"), state.step <= 0);
  setDisabled($("reset"), state.step <= 0);
  setDisabled($("forward"), !timeline || state.step >= total);
  if ($("speed").value !== String(state.speed)) $("speed").value = String(state.speed);

  renderExamples(state);
  if (result || state.error) {
    // History updates are slow in browsers (tens of ms for a long URL): coalesce them.
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => syncUrl(store.get()), URL_DELAY_MS);
  }
}

const EMPTY = new Set();
let bugCache = { timeline: null, result: null };

function bugReport() {
  if (bugCache.timeline !== timeline) bugCache = { timeline, result: forgetPlusEquals(timeline) };
  return bugCache.result;
}

function bugNodes() {
  return new Set(bugReport().rows.filter((r) => r.wrong).map((r) => r.id));
}

function renderLessons(state, view, lang) {
  if ($("practice").checked !== state.practice) $("practice").checked = state.practice;
  const quizOn = state.quiz !== null && timeline && view;
  setHidden($("quiz"), !quizOn);
  if (quizOn) {
    const params = edgeParams(timeline, timeline.items[state.quiz], state.program);
    setText($("quiz-question"), t(lang, "quizQuestion", params));
  }
  setText($("quiz-feedback"), state.feedback || "");
  const right = Object.values(state.answers).filter(Boolean).length;
  const total = Object.keys(state.answers).length;
  let score = "";
  if (state.practice) {
    const last = loadScore(window.localStorage, state.program);
    score = last ? t(lang, "scoreLast", { right, total, lastRight: last.right, lastTotal: last.total })
      : t(lang, "score", { right, total });
  }
  setText($("score"), score);

  const forget = $("forget");
  if (forget.getAttribute("aria-pressed") !== String(state.forget)) {
    forget.setAttribute("aria-pressed", String(state.forget));
  }
  setHidden($("bug-demo"), !(state.forget && timeline));
  if (!state.forget || !timeline) return;
  const report = bugReport();
  const key = `${lang}|${report.rows.length}|${state.program}|${JSON.stringify(state.values)}`;
  if ($("bug-rows").dataset.key === key) return;
  $("bug-rows").dataset.key = key;
  const wrong = report.rows.filter((r) => r.wrong);
  let summary;
  if (!report.supported) summary = t(lang, "bugTensor");
  else if (!wrong.length) summary = t(lang, "bugNone");
  else {
    const worst = wrong.reduce((a, b) => (Math.abs(b.off) > Math.abs(a.off) ? b : a));
    summary = t(lang, "bugSummary", {
      count: wrong.length, n: report.rows.length, name: displayName(worst.node, state.program),
      buggy: num(worst.buggy), correct: num(worst.correct) });
  }
  setText($("bug-summary"), summary);
  $("bug-rows").replaceChildren(...report.rows.map((row) => {
    const tr = document.createElement("tr");
    tr.classList.toggle("wrong", row.wrong);
    for (const text of [displayName(row.node, state.program), num(row.correct), num(row.buggy),
                        row.wrong ? num(row.off) : "0"]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }));
}

// -- training: many passes on a data set, streamed from the server ----------------

// While a run goes, the parameters' numbers in the circuit are the run's latest.
function liveParams(state) {
  const run = state.training;
  if (!run || run.status !== "running" || !run.params || !state.result) return null;
  const live = new Map();
  for (const node of state.result.nodes) {
    if (node.op === "input" && node.name in run.params) live.set(node.id, run.params[node.name]);
  }
  return live;
}

let trainAbort = null;
const MAX_HISTORY = 2000;  // points of the live loss curve kept on the page

// The inputs the program reads its data from: X and y, where its text uses them (the
// answer on show may still be the last program's).
function dataInputs(state) {
  return ["X", "y"].filter((name) => usesName(state.program, name));
}

async function loadData(spec) {
  const query = new URLSearchParams({ n: spec.n, noise: spec.noise, seed: spec.seed });
  let answer;
  try {
    const response = await fetch(`/api/datasets/${encodeURIComponent(spec.name)}?${query}`);
    answer = { ok: response.ok, body: await response.json() };
  } catch (err) {
    store.set({ training: { status: "error", error: String(err) } });
    return;
  }
  if (!answer.ok) {
    store.set({ training: { status: "error", error: errorText(store.get().lang, answer.body.error) } });
    return;
  }
  const data = { X: answer.body.X, y: answer.body.y, key: JSON.stringify(spec) };
  const state = store.get();
  const values = { ...state.values };
  for (const name of dataInputs(state)) values[name] = data[name];
  store.set({ trainData: data, values, training: state.training && state.training.status === "running"
    ? state.training : null });
  scheduleRequest();
}

function trainEvent(name, data) {
  const run = store.get().training || {};
  if (name === "start") {
    store.set({ training: { ...run, status: "running", runId: data.run_id } });
    if (data.data) store.set({ trainData: { ...data.data, key: `run ${data.run_id}` } });
  } else if (name === "progress") {
    // each progress event carries the history points since the last one
    const history = run.history || { passes: [], loss: [] };
    const passes = [...history.passes, ...data.history.passes];
    const loss = [...history.loss, ...data.history.loss];
    const keep = passes.length > MAX_HISTORY ? (_, i) => i % 2 === 0 || i === passes.length - 1 : null;
    store.set({ training: { ...run, status: "running", pass: data.pass, loss: data.loss,
                            accuracy: data.accuracy, params: data.params,
                            boundary: data.boundary || run.boundary,
                            history: keep ? { passes: passes.filter(keep), loss: loss.filter(keep) }
                              : { passes, loss } } });
  } else if (name === "done") {
    const last = data.history.loss[data.history.loss.length - 1];
    store.set({ training: { ...run, status: data.cancelled ? "cancelled" : "done",
                            pass: data.passes_done, loss: last, accuracy: data.accuracy,
                            params: data.params, boundary: data.boundary || run.boundary,
                            history: data.history, seconds: data.seconds } });
  } else if (name === "error") {
    store.set({ training: { ...run, status: "error", error: errorText(store.get().lang, data.error) } });
  }
}

async function startTraining(options) {
  const state = store.get();
  if (trainAbort) trainAbort.abort();
  trainAbort = new AbortController();
  const payload = { source: state.program, passes: options.passes, lr: options.lr, l2: options.l2,
                    mode: options.mode, dataset: options.dataset,
                    init: $("train-from-program").checked ? "program" : "seed004" };
  store.set({ training: { status: "running", pass: 0, passes: options.passes, history: null } });
  try {
    const response = await fetch("/api/train", {
      method: "POST", signal: trainAbort.signal,
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify(payload),
    });
    if (!response.ok) {
      const body = await response.json();
      trainEvent("error", body);
      return;
    }
    await readEvents(response, trainEvent);
  } catch (err) {
    if (err.name !== "AbortError") trainEvent("error", { error: { type: "network", message: String(err) } });
  }
}

function cancelTraining() {
  const run = store.get().training;
  if (trainAbort) trainAbort.abort();
  trainAbort = null;
  if (run && run.runId) fetch(`/api/train/${encodeURIComponent(run.runId)}/cancel`, { method: "POST" }).catch(() => {});
  if (run && run.status === "running") store.set({ training: { ...run, status: "cancelled" } });
}

const trainer = new TrainingPanel({
  form: $("train-form"), dataset: $("train-dataset"), n: $("train-n"), noise: $("train-noise"),
  seed: $("train-seed"), passes: $("train-passes"), lr: $("train-lr"), l2: $("train-l2"),
  mode: $("train-mode"), start: $("train-start"), cancel: $("train-cancel"),
  apply: $("train-apply"), example: $("train-example"), progress: $("train-progress"),
  note: $("train-note"), loss: $("train-loss"), lossWrap: $("train-loss-wrap"), log: $("train-log"),
  canvas: $("train-boundary"), canvasWrap: $("train-canvas-wrap"),
}, {
  onStart: startTraining,
  onCancel: cancelTraining,
  onApply: () => {
    const run = store.get().training;
    if (!run || !run.params) return;
    store.set({ values: { ...store.get().values, ...run.params } });
    scheduleRequest();
  },
  onExample: () => {
    const chosen = examples.find((x) => x.id === TRAIN_EXAMPLE);
    if (chosen) chooseExample(chosen);
  },
  onData: (spec) => loadData(spec),
  onLog: (log) => store.set({ trainLog: log }),
});
const TRAIN_EXAMPLE = "seed004-train";
window.addEventListener("pagehide", () => { if (trainAbort) trainAbort.abort(); });

// -- gradient descent: the update phase, the parameters it moves, the loss plot -----

function renderDescent(state, view, lang) {
  if ($("update-on").checked !== state.update) $("update-on").checked = state.update;
  const lr = $("lr");
  if (document.activeElement !== lr && Number(lr.value) !== state.lr) lr.value = String(state.lr);
  const update = state.update && state.result ? state.result.update : null;
  setDisabled($("apply-update"), !(update && view && view.k === view.total && !state.error));
  const picker = $("param-picker");
  setHidden(picker, !update);
  if (update) {
    const chosen = new Set(update.params.map((p) => p.name));
    const names = state.result.nodes.filter((n) => n.op === "input").map((n) => n.name);
    setText($("param-summary"), t(lang, "paramSummary", { n: chosen.size, total: names.length }));
    const list = $("param-list");
    const key = JSON.stringify([names, [...chosen]]);
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.replaceChildren(...names.map((name) => {
        const label = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.checked = chosen.has(name);
        box.dataset.name = name;
        label.append(box, document.createTextNode(` ${name}`));
        return label;
      }));
    }
  }
  const plot = $("loss-plot");
  const history = state.lossProgram === state.program ? state.lossHistory : [];
  const out = state.result ? state.result.nodes.find((n) => n.id === state.result.output) : null;
  const showPlot = Boolean(state.update && history.length && out && typeof out.value === "number");
  setHidden($("loss-wrap"), !showPlot);  // an <svg> has no `hidden` property: its wrapper does
  if (showPlot) {
    const points = [...history, out.value].map((loss, i) => [i, loss]);
    plot.setAttribute("aria-label", t(lang, "lossPlot", { n: history.length }));
    drawLoss(plot, points, { title: t(lang, "lossPlot", { n: history.length }) });
  }
}

$("update-on").addEventListener("change", (e) => {
  store.set({ update: e.target.checked });
  scheduleRequest();
});
$("lr").addEventListener("change", (e) => {
  const lr = Number(e.target.value);
  if (!Number.isFinite(lr) || e.target.value.trim() === "") {
    e.target.value = String(store.get().lr);
    return;
  }
  store.set({ lr });
  if (store.get().update) scheduleRequest();
});
$("param-list").addEventListener("change", () => {
  const boxes = [...$("param-list").querySelectorAll("input[type=checkbox]")];
  store.set({ params: boxes.filter((b) => b.checked).map((b) => b.dataset.name) });
  scheduleRequest();
});
// Apply the step: the parameters take their new values, the loss so far joins the plot,
// and the page shows the next pass whole (step back through it at will).
$("apply-update").addEventListener("click", () => {
  const state = store.get();
  const update = state.result && state.result.update;
  if (!update) return;
  const values = { ...state.values };
  for (const p of update.params) values[p.name] = p.new;
  const history = state.lossProgram === state.program ? state.lossHistory : [];
  restoringStep = Number.MAX_SAFE_INTEGER;
  store.set({ values, lossHistory: [...history, update.loss], lossProgram: state.program });
  scheduleRequest();
});

// The explanation's table (a Jacobian, a pooling step's routes), cell by cell as text.
function renderTable(table, data) {
  const key = data ? JSON.stringify(data) : "";
  if (table.dataset.key === key) return;
  table.dataset.key = key;
  setHidden(table, !data);
  if (!data) {
    table.replaceChildren();
    return;
  }
  const caption = document.createElement("caption");
  caption.textContent = data.caption;
  const rows = data.rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      td.textContent = cell;
      if (data.matrix && cell === "0") td.className = "zero";
      tr.append(td);
    }
    return tr;
  });
  if (data.more) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.textContent = "…";
    tr.append(td);
    rows.push(tr);
  }
  table.className = data.matrix ? "explain-table matrix" : "explain-table";
  table.replaceChildren(caption, ...rows);
}

const TABS = { explain: "explain", check: "check-panel", code: "code-panel", plot: "plot-panel",
               train: "train-panel" };

function renderTabs(state, view, lang) {
  if ($("expand-all").checked !== state.expandAll) $("expand-all").checked = state.expandAll;
  for (const [name, panel] of Object.entries(TABS)) {
    const tab = $(`tab-${name}`);
    const on = state.tab === name;
    if (tab.getAttribute("aria-selected") !== String(on)) {
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
    }
    setHidden($(panel), !on);
  }
  if (state.tab === "train") trainer.render(state, lang);
  const result = state.result;
  if (!result) return;
  if (state.tab === "check") renderCheck(state, lang);
  if (state.tab === "code") renderCode(state, view);
  if (state.tab === "plot") renderPlot(state, lang);
}

function renderCheck(state, lang) {
  const checks = state.result.gradcheck || {};
  const key = JSON.stringify([lang, checks]);
  const rows = $("check-rows");
  if (rows.dataset.key === key) return;
  rows.dataset.key = key;
  rows.replaceChildren(...Object.entries(checks).map(([name, entry]) => {
    const tr = document.createElement("tr");
    tr.classList.toggle("bad", entry.ok === false);
    let verdict = t(lang, entry.ok === false ? "checkBad" : "checkOk");
    if (entry.kink) verdict += ` (${t(lang, "checkKinkMark")})`;
    const cells = [name, full(entry.analytic), full(entry.numeric), full(entry.rel_error), verdict];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }));
  const kinks = Object.entries(checks).filter(([, e]) => e.kink).map(([n]) => n);
  setHidden($("check-kink"), !kinks.length);
  setText($("check-kink"), kinks.length ? t(lang, "checkKink", { names: kinks.join(", ") }) : "");
}

// The code line the current step is about: a forward stage, the seed, or the backward
// line of one wire. The server tags each line with its node and phase.
function codeLine(code, item) {
  if (!item || !code.lines) return 0;
  const text = code.python.split("\n");
  const tagged = (node, phase) => code.lines
    .map((tag, i) => (tag && tag.node === node && tag.phase === phase ? i : -1))
    .filter((i) => i >= 0);
  if (item.kind === "forward") return (tagged(item.node, "forward")[0] ?? -1) + 1;
  const lines = tagged(item.kind === "seed" ? item.node : item.gate, "backward");
  const seedLine = lines.find((i) => text[i].includes("# the seed"));
  if (item.kind === "seed") return (seedLine ?? -1) + 1;
  const edges = lines.filter((i) => i !== seedLine && !text[i].trimStart().startsWith("#"));
  return (edges[item.index] ?? -1) + 1;
}

function renderCode(state, view) {
  const code = state.codeNotice ? null : state.result.code;
  const pre = $("code");
  if (!code) {
    if (state.codeNotice && pre.dataset.text !== state.codeNotice) {
      pre.dataset.text = state.codeNotice;
      pre.textContent = state.codeNotice;
    }
    return;
  }
  if (pre.dataset.text !== code.python) {
    pre.dataset.text = code.python;
    pre.replaceChildren(...code.python.replace(/\n$/, "").split("\n").map((line) => {
      const span = document.createElement("span");
      span.className = "code-line";
      span.textContent = line + "\n";
      return span;
    }));
  }
  const line = codeLine(code, view && view.current);
  const spans = pre.children;
  for (let i = 0; i < spans.length; i += 1) {
    const on = i + 1 === line;
    if (spans[i].classList.contains("current") !== on) {
      spans[i].classList.toggle("current", on);
      if (on) spans[i].scrollIntoView({ block: "nearest" });
    }
  }
}

function sweepInputs(result) {
  return result.nodes.filter((n) => n.op === "input" && n.shape.length === 0).map((n) => n.name);
}

function renderPlot(state, lang) {
  const result = state.result;
  const out = result.nodes.find((n) => n.id === result.output);
  const choices = sweepInputs(result);
  const select = $("sweep-input");
  const key = choices.join("|");
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren(...choices.map((name) => {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      return option;
    }));
  }
  if (!choices.length || out.shape.length) {
    setText($("plot-note"), t(lang, "plotNone"));
    return;
  }
  if (!state.sweepInput || !choices.includes(state.sweepInput)) {
    store.set({ sweepInput: choices[0], sweepRange: null });
    scheduleRequest();
    return;
  }
  if (select.value !== state.sweepInput) select.value = state.sweepInput;
  const sweep = result.sweep;
  if (!sweep || sweep.input !== state.sweepInput) return;
  const outName = displayName(out, state.program);
  const slope = t(lang, "plotSlope", { input: sweep.input, value: num(sweep.value),
                                       out: outName, grad: num(sweep.grad) });
  plot.draw(sweep, outName, slope);
  setText($("plot-note"), t(lang, "plotNote", { out: outName, input: sweep.input }));
}

function renderExamples(state) {
  const select = $("examples");
  const wanted = examples.map((e) => `${e.id}:${e.title[state.lang]}`).join("|") + state.lang;
  if (select.dataset.key !== wanted) {
    select.dataset.key = wanted;
    const first = document.createElement("option");
    first.value = "";
    first.textContent = t(state.lang, "choose");
    select.replaceChildren(first, ...examples.map((e) => {
      const option = document.createElement("option");
      option.value = e.id;
      option.textContent = e.title[state.lang];
      return option;
    }));
  }
  if (select.value !== state.example) select.value = state.example;
  const chosen = examples.find((e) => e.id === state.example);
  setText($("example-text"), chosen ? chosen.description[state.lang] : "");
}

// -- events -----------------------------------------------------------------------

$("reset").addEventListener("click", () => goTo(0));
$("back").addEventListener("click", () => goTo(store.get().step - 1));
$("forward").addEventListener("click", stepForward);
$("play").addEventListener("click", togglePlay);
$("timeline").addEventListener("input", (e) => goTo(Number(e.target.value)));
$("speed").addEventListener("input", (e) => {
  const speed = Number(e.target.value);
  player.setSpeed(speed);
  store.set({ speed });
});
$("fit").addEventListener("click", () => circuit.fit());
$("zoom-in").addEventListener("click", () => circuit.zoom(1 / 1.25));
$("zoom-out").addEventListener("click", () => circuit.zoom(1.25));
$("export-svg").addEventListener("click", () => exportSvg($("circuit"), circuit.extent));
$("export-png").addEventListener("click", () => exportPng($("circuit"), circuit.extent));
$("expand-all").addEventListener("change", (e) => {
  store.set({ expandAll: e.target.checked, expanded: [] });
  scheduleRequest();
});
for (const name of Object.keys(TABS)) {
  $(`tab-${name}`).addEventListener("click", () => {
    store.set({ tab: name });
    scheduleRequest();
  });
}
document.querySelector(".tabs").addEventListener("keydown", (e) => {
  const names = Object.keys(TABS);
  const i = names.indexOf(store.get().tab);
  let next = null;
  if (e.key === "ArrowRight") next = names[(i + 1) % names.length];
  if (e.key === "ArrowLeft") next = names[(i + names.length - 1) % names.length];
  if (!next) return;
  e.preventDefault();
  e.stopPropagation();
  store.set({ tab: next });
  $(`tab-${next}`).focus();
  scheduleRequest();
});
$("sweep-input").addEventListener("change", (e) => {
  store.set({ sweepInput: e.target.value, sweepRange: null });
  scheduleRequest();
});
$("copy-code").addEventListener("click", async () => {
  const code = store.get().result && store.get().result.code;
  if (!code) return;
  try {
    await navigator.clipboard.writeText(code.python);
  } catch {
    const range = document.createRange();
    range.selectNodeContents($("code"));
    window.getSelection().removeAllRanges();
    window.getSelection().addRange(range);
    document.execCommand("copy");
  }
  $("copy-code").textContent = t(store.get().lang, "copied");
  setTimeout(() => { $("copy-code").textContent = t(store.get().lang, "copy"); }, 1500);
});
$("practice").addEventListener("change", (e) => {
  player.pause();
  store.set({ practice: e.target.checked, quiz: null, answers: {}, feedback: "" });
});
$("forget").addEventListener("click", () => store.set({ forget: !store.get().forget }));
$("quiz").addEventListener("submit", (e) => {
  e.preventDefault();
  answer(false);
});
$("quiz-show").addEventListener("click", () => answer(true));
$("lang").addEventListener("change", (e) => {
  window.localStorage.setItem("backprop-lab.lang", e.target.value);
  store.set({ lang: e.target.value });
});
// A preset: its program, and for a training preset its run's settings in the Train tab
// and its data set in the circuit.
function chooseExample(chosen) {
  player.pause();
  restoringStep = 0;
  store.set({ program: chosen.source, values: {}, step: 0, example: chosen.id, codeNotice: "",
              expandAll: Boolean(chosen.expand), expanded: [] });
  if (chosen.train) {
    trainer.setOptions(chosen.train);
    store.set({ tab: "train", training: null });
    loadData(trainer.dataSpec());
  } else {
    scheduleRequest();
  }
}

$("examples").addEventListener("change", (e) => {
  const chosen = examples.find((x) => x.id === e.target.value);
  if (chosen) chooseExample(chosen);
});

document.addEventListener("keydown", (e) => {
  const tag = e.target.tagName;
  if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT") return;
  if (e.target.closest && e.target.closest(".tabs")) return;
  if (e.key === "ArrowRight") { e.preventDefault(); stepForward(); }
  else if (e.key === "ArrowLeft") { e.preventDefault(); goTo(store.get().step - 1); }
  else if (e.key === "Home") { e.preventDefault(); goTo(0); }
  else if (e.key === " " && tag !== "BUTTON") { e.preventDefault(); togglePlay(); }
});

window.addEventListener("popstate", () => {
  player.pause();
  const restored = fromLink(window.location);
  restoringStep = restored.step || 0;
  lastUrl = window.location.pathname + window.location.hash;
  lastProgramInUrl = { program: restored.program ?? store.get().program,
                       values: JSON.stringify(restored.values ?? {}) };
  store.set({ values: {}, ...restored, step: store.get().step });
  scheduleRequest();
});

store.subscribe(render);
render(store.get());
scheduleRequest();

fetch("/api/examples")
  .then((r) => r.json())
  .then((body) => {
    examples = body.examples;
    render(store.get());
  })
  .catch(() => {});
