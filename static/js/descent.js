// The update bar: one step of an optimiser after the backward pass — gradient descent,
// momentum or Adam (the table GET /api/optimizers serves), its learning rate and
// hyperparameters, the parameters it moves (picked under the bar), Apply (which carries
// the optimiser's state to the next step), and a small plot of the output before each
// applied update, falling.

import { $, setChecked, setDisabled, setHidden, setText } from "./dom.js";
import { t } from "./i18n.js";
import { drawLoss } from "./lossplot.js";
import { inputNodes, outputNode, stepView } from "./selectors.js";
import { hyperFields } from "./trainform.js";

export function mount({ store, actions }) {
  const lr = $("lr");
  const list = $("param-list");
  $("update-on").addEventListener("change", (e) => actions.setUpdate(e.target.checked));
  lr.addEventListener("change", () => {
    const value = Number(lr.value);
    if (!Number.isFinite(value) || lr.value.trim() === "") {
      lr.value = String(store.get().lr);
      return;
    }
    actions.setLr(value);
  });
  list.addEventListener("change", () => {
    const boxes = [...list.querySelectorAll("input[type=checkbox]")];
    actions.setParams(boxes.filter((b) => b.checked).map((b) => b.dataset.name));
  });
  $("apply-update").addEventListener("click", () => actions.applyUpdate());
  const optimizer = $("optimizer");
  const hyper = $("optimizer-hyper");
  optimizer.addEventListener("change", () => actions.setOptimizer({ name: optimizer.value }));
  hyper.addEventListener("change", (e) => {
    const value = Number(e.target.value);
    if (e.target.dataset.name && e.target.value.trim() !== "" && Number.isFinite(value)) {
      actions.setOptimizer({ [e.target.dataset.name]: value });
    }
  });

  function renderOptimizer(state) {
    const table = state.optimizers || [];
    const names = table.map((o) => o.name).join(",");
    if (optimizer.dataset.names !== names) {
      optimizer.dataset.names = names;
      optimizer.replaceChildren(...table.map((o) => {
        const option = document.createElement("option");
        option.value = o.name;
        return option;
      }));
    }
    for (const option of optimizer.options) setText(option, t(state.lang, `opt.${option.value}`));
    if (optimizer.value !== state.optimizer.name) optimizer.value = state.optimizer.name;
    hyperFields(hyper, table.find((o) => o.name === state.optimizer.name), state.optimizer);
  }

  function renderParams(state, update, lang) {
    const chosen = new Set(update.params.map((p) => p.name));
    const names = inputNodes(state.result).map((n) => n.name);
    setText($("param-summary"), t(lang, "paramSummary", { n: chosen.size, total: names.length }));
    const key = JSON.stringify([names, [...chosen]]);
    if (list.dataset.key === key) return;
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

  function render(state) {
    const { lang } = state;
    const { view } = stepView(state);
    setChecked($("update-on"), state.update);
    renderOptimizer(state);
    if (document.activeElement !== lr && Number(lr.value) !== state.lr) lr.value = String(state.lr);
    const update = state.update && state.result ? state.result.update : null;
    setDisabled($("apply-update"), !(update && view && view.k === view.total && !state.error));
    setHidden($("param-picker"), !update);
    if (update) renderParams(state, update, lang);
    const plot = $("loss-plot");
    const history = state.lossProgram === state.program ? state.lossHistory : [];
    const out = outputNode(state.result);
    const showPlot = Boolean(state.update && history.length && out && typeof out.value === "number");
    setHidden($("loss-wrap"), !showPlot);  // an <svg> has no `hidden` property: its wrapper does
    if (showPlot) {
      const title = t(lang, "lossPlot", { n: history.length });
      plot.setAttribute("aria-label", title);
      drawLoss(plot, [...history, out.value].map((loss, i) => [i, loss]), { title });
    }
  }

  store.subscribe(render);
  render(store.get());
}
