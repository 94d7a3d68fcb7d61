// Wires the page. One store holds the state (state.js) and only the actions write it
// (actions.js); each panel mounts itself on its part of the page and renders from the
// state; the circuit's request follows from the state (requests.js), and so does the URL
// (link.js).

import { createActions } from "./actions.js";
import { createFindActions } from "./find.js";
import { detectLang } from "./i18n.js";
import { watchLink } from "./link.js";
import { loadCatalogues, mountPanels } from "./panels.js";
import { watchGraph } from "./requests.js";
import { createStore, fromLink, initialState } from "./state.js";
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

mountPanels(app);
mountTraining(app);

watchLink(app);
watchGraph(app);

loadCatalogues(app);
