// Wires the page. One store holds the state (state.js) and only the actions write it
// (actions.js); each panel mounts itself on its part of the page and renders from the
// state; the circuit's request follows from the state (requests.js), and so does the URL
// (link.js).

import { createActions } from "./actions.js";
import * as api from "./api.js";
import { createFindActions } from "./find.js";
import { mount as mountBuilder } from "./builder.js";
import { mount as mountFind } from "./circuitfind.js";
import { mount as mountCircuit } from "./circuitpanel.js";
import { mount as mountDescent } from "./descent.js";
import { mount as mountEditor } from "./editor.js";
import { mount as mountExplanation } from "./explanation.js";
import { mount as mountExport } from "./exporter.js";
import { mount as mountHeader } from "./header.js";
import { mount as mountHelp } from "./help.js";
import { detectLang } from "./i18n.js";
import { mount as mountInputs } from "./inputs.js";
import { watchLink } from "./link.js";
import { mount as mountPractice } from "./practice.js";
import { watchGraph } from "./requests.js";
import { createStore, fromLink, initialState } from "./state.js";
import { mount as mountStepper } from "./stepper.js";
import { mount as mountTabs } from "./tabs.js";
import { mount as mountTraining } from "./training.js";

const link = fromLink(window.location);
const store = createStore({
  ...initialState(),
  lang: detectLang(window.localStorage, navigator.language),
  ...link,
  landing: link.step, // the first answer lands on the link's step
});
// the search field's two actions are find.js's (actions.js is at its size limit)
const actions = { ...createActions(store, { storage: window.localStorage }), ...createFindActions(store) };
const app = { store, actions };

// The header first: it puts the page's fixed text in the chosen language before the
// panels write theirs.
mountHeader(app);
mountHelp(app);
mountEditor(app);
mountInputs(app);
mountBuilder(app);
const circuit = mountCircuit(app);
mountFind({ ...app, circuit });
mountExport({ ...app, circuit });
mountStepper(app);
mountPractice(app);
mountDescent(app);
mountTabs(app);
mountExplanation(app);
mountTraining(app);

watchLink(app);
watchGraph(app);

// The op catalogue, which the explanations read; the circuit is asked for once it is
// here (or known to be missing).
api.ops().then((answer) => actions.opsLoaded(answer.ok ? answer.body.ops : []));
api.examples().then((answer) => {
  if (answer.ok) actions.examplesLoaded(answer.body.examples);
});
api.optimizers().then((answer) => {
  if (answer.ok) actions.optimizersLoaded(answer.body.optimizers);
});
