// The only writer of the page's state. Every change is a named action, called by a
// panel (a click, a keystroke) or by an effect (an answer from the server); it reads
// the state and commits the next one in a single write, so a change renders once.
// Nothing here touches the DOM or the network: the request to POST /api/graph follows
// from the state (requests.js), and the panels render from it.
//
// The transitions that take some thought are pure functions of the state below the
// actions (`answered`, `failed`, `forward`, `goTo`, `runAfter`).

import { saveScore } from "./lessons.js";
import { quizAnswer } from "./quiz.js";
import {
  dataInto, dataLoaded, paceSet, pointAdded, pointsCleared, runAfter, runPaused, runStarted,
  runCancelled, scrubTo, throughPass,
} from "./runstate.js";
import { dataInputs, keptValues, timelineOf, widenedProgram } from "./selectors.js";
import { foldedAs, toggledIn } from "./groups.js";
import { carryPosition, progressAt, stepAtProgress } from "./timeline.js";

const END = Number.MAX_SAFE_INTEGER; // a landing past the last step: the end

// A new program: the stepper starts over, and the gates are drawn as written.
const FRESH_PROGRAM = { values: {}, step: 0, example: "", expandAll: false, expanded: [], opened: [], closed: [] };

export function createActions(store, { storage }) {
  const get = () => store.get();
  const commit = (patch) => {
    if (patch) store.set(patch);
  };

  return {
    // -- the server's answers ------------------------------------------------------
    opsLoaded(list) {
      commit({ ops: Object.assign(Object.create(null),
                                  Object.fromEntries(list.map((op) => [op.name, op]))) });
    },
    examplesLoaded(list) {
      commit({ examples: list });
    },
    // A large preset's program, asked for when it was chosen: kept, and chosen.
    exampleLoaded(preset) {
      commit({ examples: get().examples.map((x) => (x.id === preset.id ? preset : x)) });
      this.chooseExample(preset.id);
    },
    optimizersLoaded(list) {
      commit({ optimizers: list });
    },
    // The lesson file: asked for ("saving"), saved (null) or refused ({error}).
    lessonExport(status) {
      commit({ lessonExport: status });
    },
    // `request`: the program and values the answer was asked for.
    graphAnswered(body, request) {
      commit(answered(get(), body, request));
    },
    graphFailed(error) {
      commit(failed(get(), error));
    },
    graphLoading(progress) { commit({ loading: progress }); }, // a slow answer (requests.js)

    // -- the program and its inputs -----------------------------------------------
    // The Train tab's fix for a data set with more classes than the network's outputs.
    widenOutputs(classes) {
      const program = widenedProgram(get().program, classes);
      if (program) commit({ program, example: "", codeNotice: null, training: null });
    },
    editProgram(text) {
      commit({ program: text, example: "", codeNotice: null, opened: [], closed: [] });
    },
    setValue(name, value) {
      commit({ values: { ...get().values, [name]: value } });
    },
    chooseExample(id) {
      const state = get();
      const chosen = state.examples.find((x) => x.id === id);
      if (!chosen) return;
      const patch = { ...FRESH_PROGRAM, playing: false, landing: 0, program: chosen.source,
                      example: chosen.id, codeNotice: null, expandAll: Boolean(chosen.expand) };
      if (chosen.train) {
        // its run's settings go to the Train tab, its data set into the circuit
        const n = state.trainPreset ? state.trainPreset.n + 1 : 1;
        const run = chosen.train;
        Object.assign(patch, { tab: "train", training: null, dataLoading: run.dataset !== null,
                               trainPreset: { run, n }, trainTrainable: run.trainable || null,
                               optimizer: { name: "sgd", ...(run.optimizer || {}) },
                               recorderAt: null, recorderView: null });
        if (run.dataset === null) patch.trainData = null;
      }
      commit(patch);
    },
    toggleHelp(open = !get().help) {
      commit({ help: open });
    },
    setLang(lang) {
      storage.setItem("backprop-lab.lang", lang);
      commit({ lang });
    },
    // Back or forward in the browser's history: the link's program, values and language.
    restoreLink(restored) {
      commit({ playing: false, landing: restored.step || 0, values: {}, ...restored,
               step: get().step });
    },

    // -- pointing -----------------------------------------------------------------
    hoverLine(line) {
      if (get().hoverLine !== line) commit({ hoverLine: line });
    },
    hoverNode(id) {
      if (get().hoverNode !== id) commit({ hoverNode: id });
    },

    // -- the circuit's granularity --------------------------------------------------
    toggleExpand(origin, expand) {
      const state = get();
      if (state.expandAll && !expand) {
        // collapsing one gate while all are expanded: expand every other composite instead
        const others = state.result.nodes.filter((n) => n.expanded_from && n.origin !== origin)
          .map((n) => n.origin);
        commit({ expandAll: false, expanded: [...new Set(others)] });
        return;
      }
      const set = new Set(state.expanded);
      if (expand) set.add(origin); else set.delete(origin);
      commit({ expanded: [...set] });
    },
    setExpandAll(on) {
      commit({ expandAll: on, expanded: [] });
    },
    // A group unfolded (open) or folded, the stepper at the same point of the pass: a big
    // program's answer comes folded (`opened`), a small one's whole (`closed`).
    toggleGroup(id, open) {
      const state = get();
      if (!state.answer) return;
      const big = state.answer.folded;
      const opened = big ? toggledIn(state.opened, id, open) : state.opened;
      const closed = big ? state.closed : toggledIn(state.closed, id, !open);
      const result = foldedAs(state.answer, opened, closed);
      const step = stepAtProgress(timelineOf(result), progressAt(timelineOf(state.result), state.step));
      commit({ opened, closed, result, step, quiz: null });
    },
    setFoldGroups(on) {
      commit({ foldGroups: on, opened: [], closed: [] });
    },

    // -- the stepper ----------------------------------------------------------------
    goTo(step) {
      commit(goTo(get(), step));
    },
    stepBack() {
      commit(goTo(get(), get().step - 1));
    },
    stepForward() {
      commit(forward(get()));
    },
    togglePlay() {
      const state = get();
      if (state.playing) {
        commit({ playing: false });
        return;
      }
      const timeline = timelineOf(state.result);
      if (!timeline) return;
      commit({ ...(state.step >= timeline.items.length ? { step: 0 } : {}), playing: true });
    },
    // One beat of the player: a step forward, and a stop at the end or at a question.
    tick() {
      const state = get();
      const timeline = timelineOf(state.result);
      if (!timeline || state.step >= timeline.items.length) {
        commit({ playing: false });
        return;
      }
      const patch = forward(state);
      const next = { ...state, ...patch };
      const stop = next.quiz !== null || next.step >= timeline.items.length;
      commit(stop ? { ...patch, playing: false } : patch);
    },
    setSpeed(speed) {
      commit({ speed });
    },

    // -- practice and the forgotten += ------------------------------------------------
    setPractice(on) {
      commit({ practice: on, playing: false, quiz: null, answers: {}, feedback: null });
    },
    // The learner's answer to the question on show (null: "show me").
    answer(typed) {
      const out = quizAnswer(get(), typed);
      if (!out) return;
      commit(out.patch);
      if (out.score) saveScore(storage, get().program, out.score);
    },
    toggleForget() {
      commit({ forget: !get().forget });
    },

    // -- the tabs ---------------------------------------------------------------------
    setTab(tab) {
      commit({ tab });
    },
    setSweepInput(name) {
      commit({ sweepInput: name, sweepRange: null });
    },

    // -- gradient descent: the update phase ---------------------------------------------
    setUpdate(on) {
      commit({ update: on });
    },
    setLr(lr) {
      commit({ lr });
    },
    setParams(names) {
      commit({ params: names });
    },
    // The optimiser (shared by the update and the Train tab): its name or a hyperparameter.
    setOptimizer(changes) {
      commit({ optimizer: { ...get().optimizer, ...changes } });
    },
    // The parameters take their new values, the optimiser its new state, the loss so far
    // joins the plot, and the page shows the next pass whole (step back through it at will).
    applyUpdate() {
      const state = get();
      const update = state.result && state.result.update;
      if (!update) return;
      const values = { ...state.values };
      for (const p of update.params) values[p.name] = p.new;
      const history = state.lossProgram === state.program ? state.lossHistory : [];
      const { optimizer } = update;
      const params = Object.fromEntries(update.params.map((p) => [
        p.name, Object.fromEntries(optimizer.state.map((slot) => [slot, p.terms[slot]]))]));
      commit({ values, lossHistory: [...history, update.loss], lossProgram: state.program,
               landing: END, optimizerState: { program: state.program, name: optimizer.name,
                                               t: optimizer.t + 1, params } });
    },

    // -- the network builder -------------------------------------------------------------
    badSizes() {
      commit({ networkError: { ui: "netBadSizes" } });
    },
    networkFailed(error) {
      commit({ networkError: error });
    },
    // The written network: its tensor form goes into the editor. Returns the network, for
    // networkEvaluated.
    networkBuilt(body) {
      const network = { ...body, form: "tensor", results: null };
      commit({ ...FRESH_PROGRAM, network, networkError: null, program: network.tensor });
      return network;
    },
    // Both forms evaluated, for the table that lines their gradients up.
    networkEvaluated(network, results) {
      if (get().network === network) commit({ network: { ...network, results } });
    },
    showForm(form) {
      const network = get().network;
      if (!network || !network[form]) return;
      commit({ ...FRESH_PROGRAM, network: { ...network, form }, program: network[form] });
    },

    // -- training --------------------------------------------------------------------------
    dataLoaded(spec, body) {
      commit(dataLoaded(get(), spec, body));
    },
    dataFailed(error) {
      commit({ training: { status: "error", error }, dataLoading: false });
    },
    // No data set: the program's own inputs are its data.
    noData() {
      commit({ trainData: null, training: null, dataLoading: false });
    },
    addPoint(point, label) {
      commit(pointAdded(get(), point, label));
    },
    clearPoints() {
      commit(pointsCleared(get()));
    },
    setTrainable(names) {
      commit({ trainTrainable: names });
    },
    // The inputs a data set's points and labels go to ({x} or {y}: a name; null: X, y).
    bindData(changes) {
      const state = get();
      const trainBind = { ...state.trainBind, ...changes };
      const values = { ...state.values };
      const data = state.trainData;
      for (const [key, field] of [["x", "X"], ["y", "y"]]) {
        const old = dataInputs(state.program, state.trainBind)[key];
        if (old && data && values[old] === data[field]) delete values[old]; // the data moves
      }
      commit({ trainBind, values: dataInto({ ...state, values, trainBind }, data) });
    },
    trainingStarted(options) {
      commit(runStarted(get(), options));
    },
    trainEvent(name, data) {
      commit(runAfter(get(), name, data));
    },
    trainingCancelled: () => commit(runCancelled(get())),
    setTrainPace(index) {
      commit(paceSet(get(), index));
    },
    pauseRun(paused) {
      commit(runPaused(get(), paused));
    },
    // The flight recorder: a snapshot's index, or null for the latest (live).
    scrubRecorder(index) {
      commit(scrubTo(get(), index));
    },
    recorderViewed(pass, body) {
      commit({ recorderView: { pass, ...body } });
    },
    stepThroughPass() {
      commit(throughPass(get()));
    },
    applyTrained() {
      const state = get();
      const run = state.training;
      if (run && run.params) commit({ values: { ...state.values, ...run.params } });
    },
    setTrainLog(on) {
      commit({ trainLog: on });
    },
  };
}

// -- transitions: state in, patch out ---------------------------------------------------

// An answer to POST /api/graph. The stepper lands where it was asked to (a link's step,
// the end after an update); for the same circuit with other numbers (a value edited) it
// keeps its phase and progress; a new circuit starts at step 0. Answers to practice
// questions stand while the numbers are the same.
function answered(state, raw, request) {
  const body = foldedAs(raw, state.opened, state.closed);
  const old = timelineOf(state.result);
  const next = timelineOf(body);
  let step;
  if (state.landing !== null) step = Math.min(state.landing, next.items.length);
  else if (state.result && programOf(state) !== request.program
           && (state.result.nodes.length !== body.nodes.length || circuitOf(state.result) !== circuitOf(body))) step = 0;
  else step = carryPosition(old, state.step, next);
  const numbers = JSON.stringify([request.program, request.values]);
  const sameNumbers = numbers === state.resultFor && old && old.items.length === next.items.length;
  const patch = { result: body, answer: raw.groups ? raw : null, resultFor: numbers, error: null, step, landing: null, loading: null,
                  values: keptValues(state.values, body) };
  if (!sameNumbers) Object.assign(patch, { answers: {}, quiz: null, feedback: null });
  if (body.sweep) {
    patch.sweepRange = { input: body.sweep.input, from: body.sweep.from, to: body.sweep.to };
  }
  return patch;
}

function programOf(state) {
  return state.resultFor ? JSON.parse(state.resultFor)[0] : null;
}

// What makes a circuit the same circuit: its gates, names, wiring and shapes, not its
// numbers.
function circuitOf(body) {
  return JSON.stringify(body.nodes.map((n) => [n.op, n.name, n.inputs, n.shape, n.params]));
}

// An error answer. The last good circuit stays on show; an option the error is about is
// dropped, so that the next request can succeed.
function failed(state, error) {
  const key = String(error.key || "");
  const patch = { error, loading: null };
  // a stale in-place expansion or sweep must not lock the page
  if (key.startsWith("expand")) patch.expanded = [];
  if (key.startsWith("sweep")) Object.assign(patch, { sweepInput: null, sweepRange: null });
  // parameters picked for another program: back to the default choice
  if (key === "update_param" && state.params) patch.params = null;
  // optimiser state for other parameters or shapes: start it afresh
  if (key.startsWith("update_state") && state.optimizerState) patch.optimizerState = null;
  // too big to write out: say so in the code tab, and draw the circuit anyway
  if (key.startsWith("code_")) Object.assign(patch, { error: null, codeNotice: error });
  return patch;
}

function goTo(state, step) {
  const timeline = timelineOf(state.result);
  if (!timeline) return null;
  const clamped = Math.max(0, Math.min(step, timeline.items.length));
  if (clamped === state.step && state.quiz === null) return null;
  const patch = { quiz: null, step: clamped };
  if (clamped === 0) Object.assign(patch, { answers: {}, feedback: null });
  return patch;
}

// In practice mode a backward wire is a question before it is an answer.
function forward(state) {
  const timeline = timelineOf(state.result);
  if (!timeline) return null;
  const next = timeline.items[state.step];
  if (state.practice && next && next.kind === "edge" && !(state.step in state.answers)) {
    const patch = { quizAsked: state.quizAsked + 1 };
    if (state.quiz !== state.step) Object.assign(patch, { quiz: state.step, quizTries: 0, feedback: null });
    return patch;
  }
  return { feedback: null, ...goTo(state, state.step + 1) };
}
