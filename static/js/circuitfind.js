// Finding one's way in a big circuit: the search field of the circuit's toolbar (Ctrl+F
// while the circuit has the focus goes there), "Fit width" beside Fit, and the minimap.
// The query and which match is shown are state (find.js); the view centres on the
// node found and outlines it.

import { $, setAttr, setText } from "./dom.js";
import { foundNode, searchMatches } from "./find.js";
import { t } from "./i18n.js";
import { Minimap } from "./minimap.js";

export function mount({ store, actions, circuit }) {
  const field = $("circuit-search");
  const status = $("search-status");
  const minimap = new Minimap($("circuit-wrap"), circuit, {
    text: (key) => t(store.get().lang, key), storage: window.localStorage });

  $("fit-width").addEventListener("click", () => circuit.viewport.fitWidth());
  field.addEventListener("input", () => actions.searchFor(field.value));
  field.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      actions.searchStep(e.shiftKey ? -1 : 1);
    } else if (e.key === "Escape" && field.value) {
      e.preventDefault();
      actions.searchFor("");
    }
  });
  $("circuit-wrap").addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "f") {
      e.preventDefault();
      field.focus();
      field.select();
    }
  });

  let shown = null; // the node the view last centred on, and for which answer
  function render(state) {
    const { query } = state.search;
    if (field.value !== query) field.value = query;
    const lang = state.lang;
    setAttr(field, "placeholder", t(lang, "findName"));
    setAttr(field, "aria-label", t(lang, "findName"));
    minimap.relabel();
    const matches = searchMatches(state);
    const id = foundNode(state);
    let text = "";
    if (query.trim() && state.result) {
      text = id ? t(lang, "foundOf", { k: state.search.at % matches.length + 1, n: matches.length })
        : t(lang, "notFound", { name: query.trim() });
    }
    setText(status, text);
    field.classList.toggle("missing", Boolean(query.trim() && state.result && !id));
    const key = id && `${id}@${state.search.at}`;
    circuit.markFound(id, Boolean(id) && (key !== shown?.key || state.result !== shown?.result));
    shown = { key, result: state.result };
  }
  store.subscribe(render);
  render(store.get());
}
