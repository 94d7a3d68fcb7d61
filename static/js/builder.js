// The network builder: layer sizes, activation and loss in; the program for that
// network out (POST /api/network), in its tensor form (X @ W1 + b1 …) and, for a
// small network, its neuron form (every weight a named scalar, as in seed 004).
// A switch moves the editor between the two forms of the same network, and a
// table lines up the gradient of every weight in both: they agree.
//
// The panel renders from the page's state (`state.network`); a build asks the server
// and hands the written network to the actions, which put it in the editor.

import * as api from "./api.js";
import { $ } from "./dom.js";
import { full, num } from "./format.js";
import { message, t } from "./i18n.js";

const TOLERANCE = 1e-9;
const SHOWN_ROWS = 12;

// "2, 3, 2" or "2 3 2" -> [2, 3, 2]; null when it is not a list of whole numbers.
export function parseSizes(text) {
  const parts = text.split(/[\s,，×x]+/u).filter(Boolean);
  if (parts.length < 2 || !parts.every((p) => /^\d+$/.test(p))) return null;
  return parts.map(Number);
}

// The element of a nested list at an index path ([] is the value itself).
function at(value, index) {
  return index.reduce((v, i) => (Array.isArray(v) ? v[i] : undefined), value);
}

function gradsByName(result) {
  const out = new Map();
  for (const node of result.nodes) if (node.name) out.set(node.name, node.grad);
  return out;
}

// Each weight and bias of the neuron form beside its tensor element: both gradients, and
// whether they agree.
export function agreement(network, tensorResult, neuronResult) {
  const tensor = gradsByName(tensorResult);
  const neuron = gradsByName(neuronResult);
  const learned = Object.entries(network.params)
    .filter(([, where]) => where.kind === "weight" || where.kind === "bias");
  return learned.map(([name, where]) => {
    const a = neuron.get(name);
    const b = at(tensor.get(where.tensor), where.index);
    const ok = typeof a === "number" && typeof b === "number"
      && Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
    const element = where.index.length ? `${where.tensor}[${where.index.join(", ")}]` : where.tensor;
    return { name, element, neuron: a, tensor: b, ok };
  });
}

export class BuilderPanel {
  constructor(els, handlers) {
    this.els = els; // { form, sizes, activation, loss, seed, tensor, neuron, note, table }
    this.handlers = handlers; // { onBuild(spec), onForm(form), onBadSizes() }
    this.key = "";
    els.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const sizes = parseSizes(els.sizes.value);
      if (!sizes) {
        this.handlers.onBadSizes();
        return;
      }
      const seed = Number.parseInt(els.seed.value || "0", 10);
      this.handlers.onBuild({ sizes, activation: els.activation.value, loss: els.loss.value,
                              seed: Number.isFinite(seed) && seed >= 0 ? seed : 0 });
    });
    for (const form of ["tensor", "neuron"]) {
      els[form].addEventListener("change", () => {
        if (els[form].checked) this.handlers.onForm(form);
      });
    }
  }

  render(state, lang) {
    const net = state.network;
    const { tensor, neuron, note } = this.els;
    const current = net && state.program === net[net.form] ? net.form : null;
    tensor.disabled = !net;
    neuron.disabled = !net || !net.neuron;
    tensor.checked = current === "tensor";
    neuron.checked = current === "neuron";
    let text = "";
    if (state.networkError) text = message(lang, state.networkError);
    else if (net && !current) text = t(lang, "netEdited");
    else if (net && !net.neuron) text = t(lang, "netNoNeuron");
    else if (net) text = t(lang, "netSwitch");
    if (note.textContent !== text) note.textContent = text;
    // a failed build is an error, and the table of the network before it is gone
    note.classList.toggle("bad", Boolean(state.networkError));
    this.renderTable(state.networkError ? null : net, current, lang);
  }

  // Shown while the editor holds one of the two forms and both have been evaluated.
  renderTable(net, current, lang) {
    const table = this.els.table;
    const results = net && net.results;
    const ready = Boolean(current && results && results.tensor && results.neuron);
    const key = ready ? JSON.stringify([lang, net.tensor]) : "";
    if (key === this.key) return;
    this.key = key;
    table.hidden = !ready;
    if (!ready) {
      table.replaceChildren();
      return;
    }
    const rows = agreement(net, results.tensor, results.neuron);
    const bad = rows.filter((r) => !r.ok).length;
    const caption = document.createElement("caption");
    caption.textContent = bad
      ? t(lang, "netDisagree", { bad, n: rows.length })
      : t(lang, "netAgree", { n: rows.length });
    const head = document.createElement("tr");
    for (const key of ["netScalar", "netElement", "netGradNeuron", "netGradTensor"]) {
      const th = document.createElement("th");
      th.textContent = t(lang, key);
      head.append(th);
    }
    const body = rows.slice(0, SHOWN_ROWS).map((r) => {
      const tr = document.createElement("tr");
      if (!r.ok) tr.className = "bad";
      for (const [text, title] of [[r.name], [r.element], [num(r.neuron), full(r.neuron)],
                                   [`${num(r.tensor)} ${r.ok ? "✓" : "✗"}`, full(r.tensor)]]) {
        const td = document.createElement("td");
        td.textContent = text;
        if (title) td.title = title;
        tr.append(td);
      }
      return tr;
    });
    if (rows.length > SHOWN_ROWS) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 4;
      td.textContent = t(lang, "netMore", { n: rows.length - SHOWN_ROWS });
      tr.append(td);
      body.push(tr);
    }
    table.replaceChildren(caption, head, ...body);
  }
}

// Build a network: write its programs, show the tensor form, then evaluate both forms
// for the table that lines their gradients up.
async function build(actions, spec) {
  const written = await api.network(spec);
  if (!written.ok) {
    if (!written.aborted) actions.networkFailed(written.error);
    return;
  }
  const network = actions.networkBuilt(written.body);
  if (!network.neuron) return;
  // the table is a bonus: without it the two forms still switch
  const [tensor, neuron] = await Promise.all(
    [network.tensor, network.neuron].map((source) => api.graph({ source })));
  if (tensor.ok && neuron.ok) {
    actions.networkEvaluated(network, { tensor: tensor.body, neuron: neuron.body });
  }
}

export function mount({ store, actions }) {
  const panel = new BuilderPanel({
    form: $("builder-form"), sizes: $("net-sizes"), activation: $("net-activation"),
    loss: $("net-loss"), seed: $("net-seed"), tensor: $("net-tensor"), neuron: $("net-neuron"),
    note: $("net-note"), table: $("net-agree"),
  }, {
    onBuild: (spec) => build(actions, spec),
    onForm: (form) => actions.showForm(form),
    onBadSizes: () => actions.badSizes(),
  });
  const render = (state) => panel.render(state, state.lang);
  store.subscribe(render);
  render(store.get());
}
