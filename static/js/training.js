// The training panel: many passes of forward → backward → update on a data set, run
// by the server (POST /api/train, streamed as server-sent events) while the page
// draws the loss curve, the decision boundary with the data on top, and a progress
// bar, and the circuit shows the parameters as they change. Cancelling, or leaving
// the page, closes the stream, and the server stops the run.
//
// The form's settings live in the form (a preset writes them there); the run, its
// data set and its history live in the page's state, through the actions.

import * as api from "./api.js";
import { $ } from "./dom.js";
import { num } from "./format.js";
import { message, t } from "./i18n.js";
import { drawLoss } from "./lossplot.js";

const TRAIN_EXAMPLE = "seed004-train"; // the preset "Load seed 004's network" opens

// Class colours: the boundary's regions (light) and the points (strong).
const CLASSES = [[214, 69, 65], [53, 106, 195], [46, 160, 67], [230, 150, 30], [140, 80, 190]];

function drawBoundary(canvas, boundary, data) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  if (!boundary && !data) return;
  const box = boundary || bounds(data.X);
  const sx = (x) => ((x - box.x0) / (box.x1 - box.x0)) * w;
  const sy = (y) => h - ((y - box.y0) / (box.y1 - box.y0)) * h;
  if (boundary && boundary.grid && boundary.grid.length) {
    const grid = boundary.grid;
    const rows = grid.length;
    const cols = grid[0].length;
    const image = ctx.createImageData(cols, rows);
    const confidence = boundary.confidence;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const row = rows - 1 - r;  // row 0 of the grid is the bottom (y0)
        const rgb = CLASSES[grid[row][c] % CLASSES.length];
        // the surer the class, the stronger its colour
        const sure = confidence ? Number(confidence[row][c]) || 0 : 1;
        const strength = 0.12 + 0.33 * sure;
        const k = 4 * (r * cols + c);
        image.data[k] = 255 - (255 - rgb[0]) * strength;
        image.data[k + 1] = 255 - (255 - rgb[1]) * strength;
        image.data[k + 2] = 255 - (255 - rgb[2]) * strength;
        image.data[k + 3] = 255;
      }
    }
    const tmp = document.createElement("canvas");
    tmp.width = cols;
    tmp.height = rows;
    tmp.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tmp, 0, 0, w, h);
  }
  if (data) {
    data.X.forEach(([x, y], i) => {
      const [r, g, b] = CLASSES[data.y[i] % CLASSES.length];
      ctx.beginPath();
      ctx.arc(sx(x), sy(y), 3, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fill();
      ctx.lineWidth = 0.8;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    });
  }
}

function bounds(X) {
  const xs = X.map((p) => p[0]);
  const ys = X.map((p) => p[1]);
  return { x0: Math.min(...xs) - 0.5, x1: Math.max(...xs) + 0.5,
           y0: Math.min(...ys) - 0.5, y1: Math.max(...ys) + 0.5 };
}

export class TrainingPanel {
  constructor(els, handlers) {
    this.els = els;
    this.handlers = handlers; // { onStart(options), onCancel(), onApply(), onExample(), onData(spec), onLog(bool) }
    this.drawn = "";
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.handlers.onStart(this.options());
    });
    els.cancel.addEventListener("click", () => this.handlers.onCancel());
    els.apply.addEventListener("click", () => this.handlers.onApply());
    els.example.addEventListener("click", () => this.handlers.onExample());
    els.log.addEventListener("change", () => this.handlers.onLog(els.log.checked));
    for (const field of [els.dataset, els.n, els.noise, els.seed]) {
      field.addEventListener("change", () => this.handlers.onData(this.dataSpec()));
    }
  }

  dataSpec() {
    const e = this.els;
    return { name: e.dataset.value, n: Number(e.n.value) || 200, noise: Number(e.noise.value) || 0,
             seed: Math.max(0, Number.parseInt(e.seed.value || "0", 10) || 0) };
  }

  // A training preset's settings into the form.
  setOptions(run) {
    const e = this.els;
    const set = (field, value) => { if (value !== undefined && value !== null) field.value = String(value); };
    set(e.dataset, run.dataset && run.dataset.name);
    set(e.n, run.dataset && run.dataset.n);
    set(e.noise, run.dataset && run.dataset.noise);
    set(e.seed, run.dataset && run.dataset.seed);
    set(e.passes, run.passes);
    set(e.lr, run.lr);
    set(e.l2, run.l2);
    set(e.mode, run.mode);
  }

  options() {
    const e = this.els;
    return { dataset: this.dataSpec(), passes: Number(e.passes.value) || 1000,
             lr: Number(e.lr.value), l2: Number(e.l2.value) || 0, mode: e.mode.value };
  }

  render(state, lang) {
    const run = state.training;
    const e = this.els;
    const running = Boolean(run && run.status === "running");
    e.start.disabled = running;
    e.cancel.disabled = !running;
    e.apply.disabled = !(run && run.params && !running);
    e.progress.max = run && run.passes ? run.passes : 1;
    e.progress.value = run ? run.pass || 0 : 0;
    let note = "";
    if (!run) note = t(lang, "trainIdle");
    else if (run.status === "error") note = message(lang, run.error);
    else {
      const params = { pass: (run.pass || 0).toLocaleString(), passes: (run.passes || 0).toLocaleString(),
                       loss: num(run.loss), accuracy: run.accuracy == null ? "—" : `${(100 * run.accuracy).toFixed(1)}%`,
                       seconds: run.seconds == null ? "" : run.seconds.toFixed(1) };
      note = t(lang, `train_${run.status}`, params);
    }
    if (e.note.textContent !== note) e.note.textContent = note;
    if (e.log.checked !== state.trainLog) e.log.checked = state.trainLog;
    const history = run && run.history ? run.history : null;
    e.lossWrap.hidden = !(history && history.loss.length);
    if (history && history.loss.length) {
      const points = history.passes.map((p, i) => [p, history.loss[i]]);
      drawLoss(e.loss, points, { log: state.trainLog, title: t(lang, "trainLossTitle") });
    }
    const data = state.trainData;
    const boundary = run ? run.boundary : null;
    const key = JSON.stringify([data ? data.key : "", boundary ? [run.pass, boundary.x0] : null]);
    if (key !== this.drawn) {
      this.drawn = key;
      drawBoundary(e.canvas, boundary, data);
    }
    e.canvasWrap.hidden = !(data || boundary);
  }
}

export function mount({ store, actions }) {
  let stream = null; // the AbortController of the run's stream

  async function loadData(spec) {
    const answer = await api.dataset(spec);
    if (answer.ok) actions.dataLoaded(spec, answer.body);
    else if (!answer.aborted) actions.dataFailed(answer.error);
  }

  async function start(options) {
    if (stream) stream.abort();
    const controller = new AbortController();
    stream = controller;
    const payload = { source: store.get().program, passes: options.passes, lr: options.lr,
                      l2: options.l2, mode: options.mode, dataset: options.dataset,
                      init: $("train-from-program").checked ? "program" : "seed004" };
    actions.trainingStarted(options.passes);
    const outcome = await api.train(payload, controller.signal, actions.trainEvent);
    if (!outcome.ok && !outcome.aborted) actions.trainEvent("error", { error: outcome.error });
  }

  function cancel() {
    const run = store.get().training;
    if (stream) stream.abort();
    stream = null;
    if (run && run.runId) api.cancelTraining(run.runId);
    actions.trainingCancelled();
  }

  const panel = new TrainingPanel({
    form: $("train-form"), dataset: $("train-dataset"), n: $("train-n"), noise: $("train-noise"),
    seed: $("train-seed"), passes: $("train-passes"), lr: $("train-lr"), l2: $("train-l2"),
    mode: $("train-mode"), start: $("train-start"), cancel: $("train-cancel"),
    apply: $("train-apply"), example: $("train-example"), progress: $("train-progress"),
    note: $("train-note"), loss: $("train-loss"), lossWrap: $("train-loss-wrap"), log: $("train-log"),
    canvas: $("train-boundary"), canvasWrap: $("train-canvas-wrap"),
  }, {
    onStart: start,
    onCancel: cancel,
    onApply: () => actions.applyTrained(),
    onExample: () => actions.chooseExample(TRAIN_EXAMPLE),
    onData: loadData,
    onLog: (on) => actions.setTrainLog(on),
  });
  window.addEventListener("pagehide", () => { if (stream) stream.abort(); });

  let preset = store.get().trainPreset;
  function render(state) {
    // a training preset's settings go into the form, and its data set is loaded
    if (state.trainPreset !== preset) {
      preset = state.trainPreset;
      if (preset) {
        panel.setOptions(preset.run);
        loadData(panel.dataSpec());
      }
    }
    if (state.tab === "train") panel.render(state, state.lang);
  }

  store.subscribe(render);
  render(store.get());
}
