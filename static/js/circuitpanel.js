// The circuit panel: the SVG circuit (circuit.js) at the current step, its toolbar (fit,
// zoom, composite gates as primitives), and the line under it with the full numbers of
// the node under the pointer. Returns the circuit view, for the export buttons.

import { CircuitView } from "./circuit.js";
import { $, setAttr, setChecked, setHidden, setText } from "./dom.js";
import { displayName } from "./explain.js";
import { full } from "./format.js";
import { t } from "./i18n.js";
import { bugNodes, explanationOf, hoveredNodes, liveParams, nodeInfo, stepView } from "./selectors.js";

export function mount({ store, actions }) {
  const lang = () => store.get().lang;
  const circuit = new CircuitView($("circuit"), {
    onNodeHover: (id) => actions.hoverNode(id),
    onToggleExpand: (origin, expand) => actions.toggleExpand(origin, expand),
    handleLabel: (expand, label) => t(lang(), expand ? "expandGate" : "collapseGate", { label }),
    checkText: (entry) => t(lang(), "checkBadge", {
      analytic: full(entry.analytic), numeric: full(entry.numeric), error: full(entry.rel_error) }),
  });
  $("fit").addEventListener("click", () => circuit.fit());
  $("zoom-in").addEventListener("click", () => circuit.zoom(1 / 1.25));
  $("zoom-out").addEventListener("click", () => circuit.zoom(1.25));
  $("expand-all").addEventListener("change", (e) => actions.setExpandAll(e.target.checked));

  // The program's column folds away for a wider circuit: the view's own business, not
  // the page's state (a link does not carry it).
  let folded = false;
  const fold = $("fold-program");
  const renderFold = (state) => {
    const page = $("program-panel").parentElement;
    page.classList.toggle("folded", folded);
    setHidden($("program-panel"), folded);
    setAttr(fold, "aria-expanded", String(!folded));
    setText(fold, t(state.lang, folded ? "showProgram" : "hideProgram"));
  };
  fold.addEventListener("click", () => {
    folded = !folded;
    renderFold(store.get());
  });

  let revealed = -1; // the step the view last panned for

  function render(state) {
    const { result } = state;
    setHidden($("circuit-empty"), Boolean(result));
    $("circuit-wrap").classList.toggle("stale", Boolean(state.error && result));
    setChecked($("expand-all"), state.expandAll);
    const { timeline, view, focus } = stepView(state);
    if (result && timeline) {
      circuit.setGraph(result);
      circuit.setLive(liveParams(state));
      circuit.update(view, focus ? focus.id : null, hoveredNodes(state),
                     (node) => displayName(node, state.program), bugNodes(state),
                     result.gradcheck || null, explanationOf(state).marks);
      // a backward step is about the gradient arriving at the edge's input: keep that in view
      const current = view.current;
      const revealId = current && current.kind === "edge" ? current.edge.input : focus && focus.id;
      if (revealId && state.step !== revealed) circuit.reveal(revealId);
      revealed = state.step;
    }
    setText($("node-info"), nodeInfo(state));
    renderFold(state);
  }

  store.subscribe(render);
  render(store.get());
  return circuit;
}
