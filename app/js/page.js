// The page without its server: the same store, actions and panels as static/js/main.js,
// mounted for a lesson file (app/js/lesson-host.js) or a notebook widget
// (app/js/widget-host.js). What is different is around it, not in it: the `fetch` the
// API client calls is the lesson's stored answers or the kernel's (app/bundle.py puts it
// in front of every module), there is no URL to follow (link.js) and no training run
// (training.js: a server's worker processes). tests/test_lesson.py holds this list of
// panels to main.js's.

import { createActions } from "/static/js/actions.js";
import { createFindActions } from "/static/js/find.js";
import { detectLang } from "/static/js/i18n.js";
import { loadCatalogues, mountPanels } from "/static/js/panels.js";
import { watchGraph } from "/static/js/requests.js";
import { createStore, initialState } from "/static/js/state.js";

// Mount the page on the elements of templates/index.html (found through `document`,
// which may be a shadow root's). `start`: the program, its values, the language (null:
// the browser's), the step to land on and the preset it is, if any.
export function mountPage({ program, values = {}, lang = null, step = 0, example = "",
                            storage = null }) {
  const store = createStore({
    ...initialState(),
    program,
    values,
    example,
    lang: lang || detectLang(storage, navigator.language),
    step: 0,
    landing: step, // the first answer lands on this step
  });
  const actions = { ...createActions(store, { storage: storage || memoryStorage() }),
                   ...createFindActions(store) };
  const app = { store, actions };

  const circuit = mountPanels(app);

  watchGraph(app);
  loadCatalogues(app);
  return { ...app, circuit };
}

// Where a score or a language choice is kept when the browser keeps nothing.
function memoryStorage() {
  const items = new Map();
  return {
    getItem: (key) => (items.has(key) ? items.get(key) : null),
    setItem: (key, value) => items.set(key, String(value)),
  };
}
