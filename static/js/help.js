// The help panel: the keys, what a program may use (every op of the catalogue,
// GET /api/ops, written as a program would write it) and the way to the API's documentation.
// `?` opens it from anywhere but a text field; Escape or Close shuts it.

import { $, row, setAttr, setHidden } from "./dom.js";

// How a program writes an op: `x + y`, `-x`, `sigmoid(x)`, `max_pool(x, 2)`.
export function written(op) {
  if (op.operator) return op.arity === 1 ? `${op.operator}x` : `x ${op.operator} y`;
  if (!op.function) return "";
  const args = op.arity === 1 ? ["x"] : ["x", "y"];
  for (const p of op.params) if (p.required) args.push(String(p.default ?? 2));
  const optional = op.params.filter((p) => !p.required);
  const call = `${op.function}(${args.join(", ")})`;
  return optional.length ? `${call}, ${op.function}(${[...args, "0"].join(", ")})` : call;
}

function typingIn(target) {
  if (target.isContentEditable || target.tagName === "TEXTAREA") return true;
  return target.tagName === "INPUT" && !["checkbox", "radio", "range", "button"].includes(target.type);
}

export function mount({ store, actions }) {
  const panel = $("help");
  $("help-button").addEventListener("click", () => actions.toggleHelp());
  $("help-close").addEventListener("click", () => {
    actions.toggleHelp(false);
    $("help-button").focus();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "?" && !typingIn(e.target)) {
      e.preventDefault();
      actions.toggleHelp(true);
      panel.focus();
    } else if (e.key === "Escape" && store.get().help) {
      actions.toggleHelp(false);
    }
  });

  let key = "";
  function render(state) {
    setHidden(panel, !state.help);
    setAttr($("help-button"), "aria-expanded", String(state.help));
    const ops = state.ops ? Object.values(state.ops) : [];
    const wanted = `${state.help}:${ops.length}`;
    if (!state.help || wanted === key) return;
    key = wanted;
    $("help-ops").replaceChildren(...ops.filter((op) => written(op)).map((op) => (
      row([written(op), op.description, op.formulas.join("; ")]))));
  }

  store.subscribe(render);
  render(store.get());
}
