// The training panel: many passes of forward → backward → update, run by the server
// (POST /api/train, streamed as server-sent events) while the page draws the loss curve,
// the decision boundary with the data on top, what each neuron learned and a progress
// bar, and the circuit shows the parameters as they change. The pace goes from one pass
// per click to as fast as the server goes, and changes, pauses and resumes while the run
// goes (POST /api/train/{id}/control). The flight recorder scrubs back through the run;
// "step through this pass" opens a recorded pass in the stepper. Cancelling, or leaving
// the page, closes the stream, and the server stops the run.
//
// The data is a generated set, none (the program's own inputs are its data) or the
// learner's own points: clicked onto the plot (shift-click: the other class) or pasted
// as CSV, which the server reads (POST /api/points/csv) and says what is wrong with.

import * as api from "./api.js";
import { $, setDisabled, setHidden, setText } from "./dom.js";
import { num, ordinal } from "./format.js";
import { message, t } from "./i18n.js";
import { drawLoss } from "./lossplot.js";
import { controlOf } from "./runstate.js";
import { classMismatch, dataInputs, neuronsOnShow, recorded, widenedProgram } from "./selectors.js";
import { TrainForm } from "./trainform.js";
import { drawBoundary, drawNeurons, toData } from "./trainpictures.js";

const TRAIN_EXAMPLE = "seed004-train"; // the preset "Load the numpy moons network" opens

export function mount({ store, actions }) {
  let stream = null; // the AbortController of the run's stream
  let payload = null; // the run's request, for the recorder's pictures
  let viewing = null; // the AbortController of the recorder's picture request
  let viewed = null; // the snapshot those pictures are of
  const canvas = $("train-boundary");
  const form = new TrainForm({
    onStart: start,
    onData: loadData,
    onOptimizer: (changes) => actions.setOptimizer(changes),
    onTrainable: (names) => actions.setTrainable(names),
    onBind: (changes) => actions.bindData(changes),
    onPace: pace,
  });

  async function loadData(spec) {
    if (spec.name === "none") return actions.noData();
    if (spec.name === "own") {
      const own = store.get().ownPoints || { X: [], y: [], classes: null };
      return actions.dataLoaded({ name: "own" }, own);
    }
    const answer = await api.dataset(spec);
    if (answer.ok) actions.dataLoaded(spec, answer.body);
    else if (!answer.aborted) actions.dataFailed(answer.error);
    return null;
  }

  // The request's `dataset`: none, the learner's points, or a generated set.
  function dataset(state) {
    const choice = form.dataChoice;
    if (choice === "none") return null;
    const bind = {};
    if (state.trainBind.x) bind.x = state.trainBind.x;
    if (state.trainBind.y) bind.y = state.trainBind.y;
    if (choice === "own") {
      const data = state.trainData || { X: [], y: [], classes: null };
      return data.classes == null ? { points: data.X, targets: data.y, ...bind }
        : { points: data.X, labels: data.y, ...bind };
    }
    return { ...form.dataSpec(), ...bind };
  }

  async function start() {
    const state = store.get();
    if (stream) stream.abort();
    const controller = new AbortController();
    stream = controller;
    const options = form.options();
    const data = dataset(state);
    const control = controlOf(state.trainPace);
    payload = { source: state.program, ...options, dataset: data, optimizer: state.optimizer,
                paused: control.paused };
    if (control.pace !== null) payload.pace = control.pace;
    if (state.trainTrainable) payload.trainable = state.trainTrainable;
    const n = data === null ? 1 : (data.points ? data.points.length : data.n);
    actions.trainingStarted({ ...options, optimizer: state.optimizer, n });
    const outcome = await api.train(payload, controller.signal, actions.trainEvent);
    if (!outcome.ok && !outcome.aborted) actions.trainEvent("error", { error: outcome.error });
  }

  function control(changes) {
    const run = store.get().training;
    if (run && run.runId && run.status === "running") api.trainControl(run.runId, changes);
  }

  // the run's pace and pause, as the state now has them, to the server
  function paced() {
    const run = store.get().training;
    if (run) control({ pace: run.pace, paused: run.paused });
  }

  function pace(index) {
    actions.setTrainPace(index);
    paced();
  }

  function cancel() {
    const run = store.get().training;
    if (stream) stream.abort();
    stream = null;
    if (run && run.runId) api.cancelTraining(run.runId);
    actions.trainingCancelled();
  }

  $("train-cancel").addEventListener("click", cancel);
  $("train-apply").addEventListener("click", () => actions.applyTrained());
  $("train-widen").addEventListener("click", (e) => actions.widenOutputs(Number(e.target.dataset.classes)));
  $("train-example").addEventListener("click", () => actions.chooseExample(TRAIN_EXAMPLE));
  $("train-log").addEventListener("change", (e) => actions.setTrainLog(e.target.checked));
  $("train-pause").addEventListener("click", () => {
    const run = store.get().training;
    if (!run || run.status !== "running") return;
    actions.pauseRun(!run.held);
    paced();
  });
  $("train-step").addEventListener("click", () => control({ step: 1 }));
  $("train-recorder").addEventListener("input", (e) => {
    const run = store.get().training;
    const last = run && run.snapshots ? run.snapshots.length - 1 : 0;
    const at = Number(e.target.value);
    actions.scrubRecorder(at >= last && run && run.status === "running" ? null : at);
  });
  $("train-through").addEventListener("click", () => actions.stepThroughPass());
  // your own points: click (shift-click: the other class), clear, or paste CSV
  canvas.addEventListener("click", (e) => {
    const state = store.get();
    if (state.training && state.training.status === "running") return;
    const run = state.training;
    const point = toData(canvas, run && run.boundary, state.trainData, e.offsetX, e.offsetY);
    actions.addPoint(point, e.shiftKey ? 1 : 0);
    form.els.dataset.value = "own";
  });
  $("train-clear").addEventListener("click", () => {
    actions.clearPoints();
    form.els.dataset.value = "own";
  });
  $("train-csv-use").addEventListener("click", async () => {
    const answer = await api.csv($("train-csv-text").value);
    if (answer.ok) {
      form.els.dataset.value = "own";
      actions.dataLoaded({ name: "own" }, answer.body);
    } else if (!answer.aborted) {
      actions.dataFailed(answer.error);
    }
  });
  window.addEventListener("pagehide", () => { if (stream) stream.abort(); });

  // The pictures of the pass the recorder shows come from the server (it keeps parameters,
  // not pictures): asked for once per snapshot scrubbed to.
  function fetchView(state, snapshot) {
    if (!snapshot || snapshot === viewed || !payload || !state.trainData) return;
    viewed = snapshot;
    if (viewing) viewing.abort();
    const controller = new AbortController();
    viewing = controller;
    const body = { ...payload, params: snapshot.params, init: "program", passes: 1 };
    delete body.pace;
    delete body.paused;
    api.trainView(body, controller.signal).then((answer) => {
      if (answer.ok) actions.recorderViewed(snapshot.pass, answer.body);
    });
  }

  function renderNote(state, run) {
    const { lang } = state;
    let note = "";
    if (!run) note = t(lang, "trainIdle");
    else if (run.status === "error") note = message(lang, run.error);
    else if (run.status === "running" && run.queued) {
      note = t(lang, "train_queued", { position: run.queued, place: ordinal(run.queued) });
    }
    else {
      const params = { pass: (run.pass || 0).toLocaleString(), passes: (run.passes || 0).toLocaleString(),
                       loss: run.loss == null ? "—" : num(run.loss), accuracy: run.accuracy == null ? "—" : `${(100 * run.accuracy).toFixed(1)}%`,
                       seconds: run.seconds == null ? "" : run.seconds.toFixed(1) };
      const status = run.status === "running" && run.paused ? "paused" : run.status;
      note = t(lang, `train_${status}`, params);
      if (run.stopped === "idle") note += ` ${t(lang, "trainIdleStop")}`;
    }
    setText($("train-note"), note);
    // a data set with more classes than outputs: say how to fix it, and offer to
    // (the run's error, or the circuit's once the data set's labels reached the program)
    const said = run && run.status === "error" ? run.error : state.trainData ? state.error : null;
    const mismatch = classMismatch(said);
    const fix = mismatch && widenedProgram(state.program, mismatch.classes) !== null;
    setHidden($("train-widen-note"), !fix);
    if (fix) {
      setText($("train-widen-text"), t(lang, "trainWidenNote",
                                       { data: $("train-dataset").value, ...mismatch }));
      $("train-widen").dataset.classes = String(mismatch.classes);
    }
  }

  function renderRecorder(state, run) {
    const snapshots = run && run.snapshots ? run.snapshots : [];
    setHidden($("train-recorder-wrap"), !snapshots.length);
    if (!snapshots.length) return;
    const slider = $("train-recorder");
    const at = state.recorderAt === null ? snapshots.length - 1 : state.recorderAt;
    if (slider.max !== String(snapshots.length - 1)) slider.max = String(snapshots.length - 1);
    if (slider.value !== String(at)) slider.value = String(at);
    const snapshot = snapshots[Math.min(at, snapshots.length - 1)];
    setText($("train-recorder-text"), t(state.lang, state.recorderAt === null ? "recorderLive" : "recorderAt",
                                        { pass: snapshot.pass.toLocaleString(), loss: num(snapshot.loss) }));
  }

  let drawn = "";
  function render(state) {
    const { lang } = state;
    const run = state.training;
    form.noDataFor(state.program, dataInputs(state.program, state.trainBind).x !== null);
    const running = Boolean(run && run.status === "running");
    form.render(state, running);
    setDisabled($("train-start"), running);
    setDisabled($("train-cancel"), !running);
    setDisabled($("train-pause"), !running || state.trainPace === 0);
    setText($("train-pause"), t(lang, running && run.held ? "trainResume" : "trainPause"));
    setDisabled($("train-step"), !(running && run.paused && run.runId));
    setDisabled($("train-apply"), !(run && run.params && !running));
    const progress = $("train-progress");
    progress.max = run && run.passes ? run.passes : 1;
    progress.value = run ? run.pass || 0 : 0;
    renderNote(state, run);
    if ($("train-log").checked !== state.trainLog) $("train-log").checked = state.trainLog;
    renderRecorder(state, run);
    const snapshot = recorded(state);
    fetchView(state, snapshot);
    const view = snapshot && state.recorderView && state.recorderView.pass === snapshot.pass
      ? state.recorderView : null;
    const history = run && run.history ? run.history : null;
    setHidden($("train-loss-wrap"), !(history && history.loss.length));
    if (history && history.loss.length) {
      drawLoss($("train-loss"), history.passes.map((p, i) => [p, history.loss[i]]), {
        log: state.trainLog, title: t(lang, "trainLossTitle"), marker: snapshot ? snapshot.pass : null,
        axes: { x: t(lang, "axisPass"), y: t(lang, "axisLoss") } });
    }
    const data = state.trainData;
    const boundary = snapshot ? view && view.boundary : run ? run.boundary : null;
    const key = JSON.stringify([data ? [data.key, data.X.length] : "", boundary ? [boundary.x0, boundary.grid[0]] : null,
                                run ? run.pass : null]);
    if (key !== drawn) {
      drawn = key;
      drawBoundary(canvas, boundary, data);
    }
    setHidden($("train-canvas-wrap"), form.dataChoice === "none");
    const neurons = neuronsOnShow(state);
    setHidden($("train-neurons-wrap"), !neurons);
    drawNeurons($("train-neurons"), neurons,
                (layer, unit) => t(lang, "neuronMap", { name: layer.name, unit }));
  }

  let preset = store.get().trainPreset;
  function onState(state) {
    // a training preset's settings go into the form, and its data set is loaded
    if (state.trainPreset !== preset) {
      preset = state.trainPreset;
      if (preset) {
        form.setOptions(preset.run);
        loadData(form.dataSpec());
      }
    }
    if (state.tab === "train") render(state);
  }

  store.subscribe(onState);
  onState(store.get());
}
