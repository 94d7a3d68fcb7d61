// The teaching tabs under the circuit: the tab bar, and the gradient check, the staged
// code (following the stepper) and the nudge plot. The explanation and the Train tab
// render themselves (explanation.js, training.js); this shows or hides their panels.

import { $, row, setAttr, setHidden, setText } from "./dom.js";
import { displayName } from "./explain.js";
import { full, inline, num } from "./format.js";
import { message, t } from "./i18n.js";
import { NudgePlot } from "./plot.js";
import { outputNode, stepView, sweepChoices, sweepTarget } from "./selectors.js";

const TABS = { explain: "explain", check: "check-panel", code: "code-panel", plot: "plot-panel",
               train: "train-panel" };

function renderCheck(state) {
  const { lang } = state;
  const checks = state.result.gradcheck || {};
  const key = JSON.stringify([lang, checks]);
  const rows = $("check-rows");
  if (rows.dataset.key === key) return;
  rows.dataset.key = key;
  rows.replaceChildren(...Object.entries(checks).map(([name, entry]) => {
    let verdict = t(lang, entry.ok === false ? "checkBad" : entry.ok === null ? "checkLabels"
      : "checkOk");
    if (entry.kink) verdict += ` (${t(lang, "checkKinkMark")})`;
    if (entry.ok === false && [entry.numeric, entry.analytic].some((x) => typeof x === "string")) {
      verdict += `: ${t(lang, "checkNotReal")}`;
    }
    const shown = (x) => [inline(x, entry.shape || []), full(x)];
    const tr = row([name, shown(entry.analytic), shown(entry.numeric), shown(entry.rel_error),
                    verdict]);
    tr.classList.toggle("bad", entry.ok === false);
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

function renderCode(state) {
  const pre = $("code");
  if (state.codeNotice) {
    const notice = message(state.lang, state.codeNotice);
    if (pre.dataset.text !== notice) {
      pre.dataset.text = notice;
      pre.textContent = notice;
    }
    return;
  }
  const code = state.result.code;
  if (!code) return;
  if (pre.dataset.text !== code.python) {
    pre.dataset.text = code.python;
    pre.replaceChildren(...code.python.replace(/\n$/, "").split("\n").map((line) => {
      const span = document.createElement("span");
      span.className = "code-line";
      span.textContent = line + "\n";
      return span;
    }));
  }
  const { view } = stepView(state);
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

function renderPlot(state, plot) {
  const { result, lang } = state;
  const out = outputNode(result);
  const choices = sweepChoices(result);
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
  const input = sweepTarget(state);
  if (!input) {
    setText($("plot-note"), t(lang, "plotNone"));
    return;
  }
  if (select.value !== input) select.value = input;
  const sweep = result.sweep;
  if (!sweep || sweep.input !== input) return; // its answer is on the way
  const outName = displayName(out, state.program);
  const slope = t(lang, "plotSlope", { input: sweep.input, value: num(sweep.value),
                                       out: outName, grad: num(sweep.grad) });
  plot.draw(sweep, outName, slope);
  setText($("plot-note"), t(lang, "plotNote", { out: outName, input: sweep.input }));
}

export function mount({ store, actions }) {
  const plot = new NudgePlot($("plot"));
  for (const name of Object.keys(TABS)) {
    $(`tab-${name}`).addEventListener("click", () => actions.setTab(name));
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
    actions.setTab(next);
    $(`tab-${next}`).focus();
  });
  $("sweep-input").addEventListener("change", (e) => actions.setSweepInput(e.target.value));
  const copy = $("copy-code");
  copy.addEventListener("click", async () => {
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
    copy.textContent = t(store.get().lang, "copied");
    setTimeout(() => { copy.textContent = t(store.get().lang, "copy"); }, 1500);
  });

  function render(state) {
    for (const [name, panel] of Object.entries(TABS)) {
      const tab = $(`tab-${name}`);
      const on = state.tab === name;
      if (tab.getAttribute("aria-selected") !== String(on)) {
        setAttr(tab, "aria-selected", String(on));
        tab.tabIndex = on ? 0 : -1;
      }
      setHidden($(panel), !on);
    }
    // the page's shape follows the tab (app.css: a class, not body:has(), which restyles
    // the whole page on any change)
    for (const name of Object.keys(TABS)) {
      const on = state.tab === name;
      if (document.body.classList.contains(`tab-${name}`) !== on) document.body.classList.toggle(`tab-${name}`, on);
    }
    if (!state.result) return;
    if (state.tab === "check") renderCheck(state);
    if (state.tab === "code") renderCode(state);
    if (state.tab === "plot") renderPlot(state, plot);
  }

  store.subscribe(render);
  render(store.get());
}
