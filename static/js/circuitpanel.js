// The circuit panel: the SVG circuit (circuit.js) at the current step, its toolbar (fit,
// zoom, composite gates as primitives), and the line under it with the full numbers of
// the node under the pointer. Returns the circuit view, for the export buttons.

import { FoldingCircuitView } from "./foldcircuit.js";
import { $, setAttr, setChecked, setHidden, setText } from "./dom.js";
import { displayName } from "./explain.js";
import { full } from "./format.js";
import { t } from "./i18n.js";
import { MIN_READABLE } from "./zoom.js";
import {
  bugNodes, explanationOf, hoveredNodes, liveParams, neuronsOnShow, nodeInfo, stepView,
} from "./selectors.js";

// The least scale a drawing may open at when the program folded away to show it whole.
const FOLDED_READABLE = 0.62;

export function mount({ store, actions }) {
  const lang = () => store.get().lang;
  const circuit = new FoldingCircuitView($("circuit"), {
    onNodeHover: (id) => actions.hoverNode(id),
    onToggleExpand: (origin, expand) => actions.toggleExpand(origin, expand),
    onToggleGroup: (id, open) => actions.toggleGroup(id, open),
    text: (key, params) => t(lang(), key, params),
    handleLabel: (expand, label) => t(lang(), expand ? "expandGate" : "collapseGate", { label }),
    checkText: (entry) => t(lang(), "checkBadge", {
      analytic: full(entry.analytic), numeric: full(entry.numeric), error: full(entry.rel_error) }),
  });
  $("fit").addEventListener("click", () => circuit.fit());
  $("zoom-in").addEventListener("click", () => circuit.zoom(1 / 1.25));
  $("zoom-out").addEventListener("click", () => circuit.zoom(1.25));
  $("expand-all").addEventListener("change", (e) => actions.setExpandAll(e.target.checked));
  $("fold-big").addEventListener("change", (e) => actions.setFoldGroups(e.target.checked));

  // The program's column folds away for a wider circuit: the view's own business, not
  // the page's state (a link does not carry it). A new drawing too wide to show whole at
  // a readable scale beside the program folds it away by itself, once, on a screen wide
  // enough for the two columns (Mazur's network at 1366 px: the output is not cut off);
  // the button brings the program back.
  let folded = false;
  let autoFolded = false;
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
  const twoColumns = () => getComputedStyle($("program-panel").parentElement)
    .gridTemplateColumns.split(" ").length > 1;
  const foldForRoom = (state) => {
    const viewport = circuit.viewport;
    if (folded || autoFolded || !twoColumns() || viewport.fitScale(0) >= MIN_READABLE) return;
    // the scale it would show whole at with the program's column given to it
    const { width, height } = viewport.size();
    const gained = $("program-panel").getBoundingClientRect().width;
    const whole = Math.min((width + gained) / viewport.bounds.w, height / viewport.bounds.h);
    if (whole < FOLDED_READABLE) return; // still a sliver: panning is better
    autoFolded = true;
    folded = true;
    viewport.fitted = 0; // the resize that follows fits all of it
    renderFold(state);
  };

  let revealed = -1; // the step the view last panned for

  function render(state) {
    const { result } = state;
    setHidden($("circuit-empty"), Boolean(result));
    $("circuit-wrap").classList.toggle("stale", Boolean(state.error && result));
    setChecked($("expand-all"), state.expandAll);
    setChecked($("fold-big"), state.foldGroups);
    const { timeline, view, focus } = stepView(state);
    if (result && timeline) {
      if (circuit.setGraph(result)) foldForRoom(state);
      circuit.setLive(liveParams(state));
      circuit.update(view, {
        focus: focus ? focus.id : null, hovered: hoveredNodes(state),
        names: (node) => displayName(node, state.program), lang: state.lang, program: state.program,
        bug: bugNodes(state), checks: result.gradcheck || null, routes: explanationOf(state).marks,
      });
      // a backward step is about the gradient arriving at the edge's input: keep that in view
      circuit.showNeurons(neuronsOnShow(state),
                          (layer, unit) => t(lang(), "neuronMap", { name: layer.name, unit }));
      if (state.step !== revealed) {
        const places = (ids) => ids.map((id) => circuit.pos.get(id)).filter(Boolean);
        circuit.viewport.revealFirstFitting(revealFor(view.current, focus, timeline).map(places));
      }
      revealed = state.step;
    }
    setText($("node-info"), nodeInfo(state));
    renderFold(state);
    renderLoading(state);
  }

  // What the view pans to at a step: where its numbers arrive. A backward step along a
  // wire: the wire's input. A collapsed statement stepping back as one: the box and the
  // nodes it sends the gradient to, or those nodes alone when all of them do not fit,
  // else the box. Any other step: its node.
  const revealFor = (current, focus, timeline) => {
    if (current && current.kind === "edge") return [[current.edge.input]];
    const own = focus ? [focus.id] : [];
    if (current && current.kind === "group" && current.dir === "backward" && current.step.sent) {
      const alias = timeline.alias || new Map();
      const receivers = [...current.step.sent.keys()].map((id) => alias.get(id) ?? id);
      return [[...own, ...receivers], receivers, own];
    }
    return [own];
  };

  // A slow answer's progress (requests.js): computing, receiving, unpacking, drawing.
  const renderLoading = ({ loading, lang: language }) => {
    setHidden($("circuit-loading"), !loading);
    if (!loading) return;
    const key = `loading.${loading.phase}`;
    setText($("circuit-loading"), t(language, key, { mb: ((loading.bytes || 0) / 1e6).toFixed(1) }));
  };

  store.subscribe(render);
  render(store.get());
  return circuit;
}
