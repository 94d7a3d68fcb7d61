// The Train tab's form: what to learn from (a data set, none, or your own points), how
// long and how fast, the optimiser, the parameters to train, and the pace to watch it at.
//
// The form's plain settings live in the form (a preset writes them there); the optimiser,
// the parameters and the pace are the page's state, changed through the actions.

import { $, setDisabled, setHidden, setText, setChecked } from "./dom.js";
import { t } from "./i18n.js";
import { paceOf, PACES } from "./runstate.js";
import { boundNames } from "./selectors.js";

const GENERATED = ["moons", "circles", "xor", "spiral"];

export class TrainForm {
  constructor(handlers) {
    this.handlers = handlers; // { onStart(), onData(spec), onOptimizer(changes), onTrainable(names), onPace(i) }
    const e = {
      form: $("train-form"), dataset: $("train-dataset"), n: $("train-n"), noise: $("train-noise"),
      seed: $("train-seed"), passes: $("train-passes"), lr: $("train-lr"), l2: $("train-l2"),
      mode: $("train-mode"), fromProgram: $("train-from-program"), optimizer: $("train-optimizer"),
      hyper: $("train-hyper"), params: $("train-params"), paramSummary: $("train-params-summary"),
      paramList: $("train-param-list"), pace: $("train-pace"), paceText: $("train-pace-text"),
      x: $("train-x"), y: $("train-y"),
    };
    this.els = e;
    e.form.addEventListener("submit", (event) => {
      event.preventDefault();
      handlers.onStart();
    });
    for (const field of [e.dataset, e.n, e.noise, e.seed]) {
      field.addEventListener("change", () => handlers.onData(this.dataSpec()));
    }
    e.optimizer.addEventListener("change", () => handlers.onOptimizer({ name: e.optimizer.value }));
    e.hyper.addEventListener("change", (event) => {
      const value = Number(event.target.value);
      if (event.target.dataset.name && event.target.value.trim() !== "" && Number.isFinite(value)) {
        handlers.onOptimizer({ [event.target.dataset.name]: value });
      }
    });
    e.paramList.addEventListener("change", () => {
      const boxes = [...e.paramList.querySelectorAll("input[type=checkbox]")];
      const names = boxes.filter((b) => b.checked).map((b) => b.dataset.name);
      handlers.onTrainable(names.length ? names : null);
    });
    for (const key of ["x", "y"]) {
      e[key].addEventListener("change", () => handlers.onBind({ [key]: e[key].value || null }));
    }
    e.pace.max = String(PACES.length - 1);
    e.pace.addEventListener("input", () => handlers.onPace(Number(e.pace.value)));
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
    const data = run.dataset;
    e.dataset.value = data === null ? "none" : (data && data.name) || "moons";
    if (data) {
      set(e.n, data.n);
      set(e.noise, data.noise);
      set(e.seed, data.seed);
    }
    set(e.passes, run.passes);
    set(e.lr, run.lr);
    e.l2.value = String(run.l2 ?? 0);
    set(e.mode, run.mode || "seed004");
    setChecked(e.fromProgram, run.init === "program" || data === null);
  }

  // The request's fields the form holds (the data set's are the caller's: its points).
  options() {
    const e = this.els;
    return { passes: Number(e.passes.value) || 1000, lr: Number(e.lr.value),
             l2: Number(e.l2.value) || 0, mode: e.mode.value,
             init: e.fromProgram.checked ? "program" : "seed004" };
  }

  get dataChoice() {
    return this.els.dataset.value;
  }

  // The program reads no X: no data set, unless the learner picks one.
  noDataFor(program, hasX) {
    if (this.program === program) return;
    this.program = program;
    if (!hasX && GENERATED.includes(this.els.dataset.value)) this.els.dataset.value = "none";
  }

  render(state, running) {
    const e = this.els;
    const { lang } = state;
    const generated = GENERATED.includes(e.dataset.value);
    for (const field of [e.n, e.noise, e.seed]) setDisabled(field, !generated);
    this.renderOptimizer(state);
    this.renderParams(state);
    this.renderBind(state, e.dataset.value !== "none", running);
    if (Number(e.pace.value) !== state.trainPace) e.pace.value = String(state.trainPace);
    const pace = paceOf(state.trainPace);
    setText(e.paceText, pace === 0 ? t(lang, "paceClick") : pace === null ? t(lang, "paceFast")
      : t(lang, "paceRate", { n: pace }));
    for (const field of [e.dataset, e.passes, e.lr, e.l2, e.mode, e.fromProgram, e.optimizer,
                         ...e.hyper.querySelectorAll("input")]) {
      setDisabled(field, running);
    }
  }

  renderOptimizer(state) {
    const e = this.els;
    const table = state.optimizers || [];
    const names = table.map((o) => o.name).join(",");
    if (e.optimizer.dataset.names !== names) {
      e.optimizer.dataset.names = names;
      e.optimizer.replaceChildren(...table.map((o) => {
        const option = document.createElement("option");
        option.value = o.name;
        return option;
      }));
    }
    for (const option of e.optimizer.options) setText(option, t(state.lang, `opt.${option.value}`));
    if (e.optimizer.value !== state.optimizer.name) e.optimizer.value = state.optimizer.name;
    hyperFields(e.hyper, table.find((o) => o.name === state.optimizer.name), state.optimizer);
  }

  // Which inputs the points and the labels go to: any input of the program (X and y
  // unless the learner picks others); "—" where the program has none of that name.
  renderBind(state, withData, running) {
    const e = this.els;
    const names = state.result ? state.result.nodes.filter((n) => n.op === "input").map((n) => n.name) : [];
    const bound = boundNames(state.trainBind);
    for (const key of ["x", "y"]) {
      const select = e[key];
      const wanted = JSON.stringify(names);
      if (select.dataset.names !== wanted) {
        select.dataset.names = wanted;
        const none = document.createElement("option");
        none.value = "";
        none.textContent = "—";
        select.replaceChildren(none, ...names.map((name) => {
          const option = document.createElement("option");
          option.value = name;
          option.textContent = name;
          return option;
        }));
      }
      const value = names.includes(bound[key]) ? bound[key] : "";
      if (select.value !== value) select.value = value;
      setDisabled(select, running || !withData || !names.length);
    }
  }

  renderParams(state) {
    const e = this.els;
    const names = state.result ? state.result.nodes.filter((n) => n.op === "input").map((n) => n.name) : [];
    const run = state.training;
    const chosen = new Set(state.trainTrainable || (run && run.trainable) || []);
    setText(e.paramSummary, state.trainTrainable
      ? t(state.lang, "trainParamsChosen", { n: chosen.size, total: names.length })
      : t(state.lang, "trainParamsDefault"));
    const key = JSON.stringify([names, [...chosen]]);
    if (e.paramList.dataset.key === key) return;
    e.paramList.dataset.key = key;
    e.paramList.replaceChildren(...names.map((name) => {
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

// The hyperparameters of an optimiser as number fields (from the optimiser table), shared
// by the update bar and the Train tab. Built again only when the optimiser changes.
export function hyperFields(container, entry, values) {
  const hyper = entry ? entry.hyper : [];
  const key = hyper.map((h) => h.name).join(",");
  if (container.dataset.key !== key) {
    container.dataset.key = key;
    container.replaceChildren(...hyper.map((h) => {
      const label = document.createElement("label");
      label.className = "inline";
      const input = document.createElement("input");
      input.type = "number";
      input.step = "any";
      input.dataset.name = h.name;
      input.setAttribute("aria-label", `${h.symbol} (${h.name})`);
      input.title = h.description;
      label.append(document.createTextNode(`${h.symbol} `), input);
      return label;
    }));
  }
  setHidden(container, !hyper.length);
  for (const input of container.querySelectorAll("input")) {
    const h = hyper.find((x) => x.name === input.dataset.name);
    const value = values[h.name] ?? h.default;
    if (document.activeElement !== input && Number(input.value) !== value) input.value = String(value);
  }
}
