// The explanation panel: what the current step did with the numbers (explain.js), and
// its table where it has one (a Jacobian, a pooling step's routes), cell by cell as text.

import { $, setHidden, setText } from "./dom.js";
import { explanationOf } from "./selectors.js";

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

export function mount({ store }) {
  function render(state) {
    const text = explanationOf(state);
    if (!text) return; // no circuit yet: the panel keeps what it said
    setText($("explain-title"), text.title);
    setText($("explain-math"), text.math);
    setText($("explain-note"), text.note);
    renderTable($("explain-table"), text.table);
  }
  store.subscribe(render);
  render(store.get());
}
