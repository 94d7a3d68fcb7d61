// The few DOM helpers every panel uses. Writes happen only where something changed: an
// unchanged write still restyles. Text goes in as textContent, never as markup.

export const $ = (id) => document.getElementById(id);

export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

export function setDisabled(node, disabled) {
  if (node.disabled !== disabled) node.disabled = disabled;
}

export function setChecked(node, checked) {
  if (node.checked !== checked) node.checked = checked;
}

export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

// A table row of text cells; a cell given as [text, title] shows the title on hover.
export function row(texts, tag = "td") {
  const tr = document.createElement("tr");
  for (const entry of texts) {
    const [text, title] = Array.isArray(entry) ? entry : [entry, ""];
    const cell = document.createElement(tag);
    cell.textContent = text;
    if (title) cell.title = title;
    tr.appendChild(cell);
  }
  return tr;
}
