// The header: the presets (Examples) with the chosen one's paragraph, the language, and
// the page's fixed text and accessible names in that language.

import * as api from "./api.js";
import { $, setText } from "./dom.js";
import { t } from "./i18n.js";

// aria-labels of controls that show a symbol, by element id
const LABELS = {
  reset: "Reset", back: "Step back", forward: "Step forward", fit: "Fit to screen",
  "zoom-in": "Zoom in", "zoom-out": "Zoom out", speed: "Speed", timeline: "Timeline",
  examples: "Examples", lang: "Language", code: "Python code", "sweep-input": "Input to nudge",
  plot: "Nudge plot", "export-svg": "Export SVG", "export-png": "Export PNG",
  "export-lesson": "Export lesson",
};
const GROUP_LABELS = { ".lesson-bar": "Teaching tools", ".descent-bar": "Gradient descent",
                       ".tabs": "Views", ".export-group": "Export" };

// Only on a change of language: touching <html lang> restyles the whole document.
function translatePage(lang) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-i18n]")) {
    setText(node, t(lang, node.dataset.i18n));
  }
  for (const [selector, key] of Object.entries(GROUP_LABELS)) {
    document.querySelector(selector).setAttribute("aria-label", t(lang, key));
  }
  for (const [id, key] of Object.entries(LABELS)) $(id).setAttribute("aria-label", t(lang, key));
}

function renderExamples(state) {
  const select = $("examples");
  const { examples, lang } = state;
  const wanted = examples.map((e) => `${e.id}:${e.title[lang]}`).join("|") + lang;
  if (select.dataset.key !== wanted) {
    select.dataset.key = wanted;
    const first = document.createElement("option");
    first.value = "";
    first.textContent = t(lang, "choose");
    select.replaceChildren(first, ...examples.map((e) => {
      const option = document.createElement("option");
      option.value = e.id;
      option.textContent = e.title[lang];
      if (e.large) option.dataset.large = "1"; // its program comes when it is chosen
      return option;
    }));
  }
  if (select.value !== state.example) select.value = state.example;
  const chosen = examples.find((e) => e.id === state.example);
  setText($("example-text"), chosen ? chosen.description[lang] : "");
}

export function mount({ store, actions }) {
  $("lang").addEventListener("change", (e) => actions.setLang(e.target.value));
  $("examples").addEventListener("change", (e) => {
    const id = e.target.value;
    const chosen = store.get().examples.find((x) => x.id === id);
    if (!chosen || chosen.source !== undefined) {
      actions.chooseExample(id);
      return;
    }
    // a large preset (micrograd's demo network): its program is asked for first
    api.example(id).then((answer) => {
      if (answer.ok) actions.exampleLoaded(answer.body);
    });
  });

  let translated = null;
  function render(state) {
    if (translated !== state.lang) {
      translated = state.lang;
      translatePage(state.lang);
    }
    if ($("lang").value !== state.lang) $("lang").value = state.lang;
    renderExamples(state);
  }

  store.subscribe(render);
  render(store.get());
}
