// The page without its server: the same store, actions and panels as static/js/main.js,
// mounted for a lesson file (app/js/lesson-host.js) or a notebook widget
// (app/js/widget-host.js). What is different is around it, not in it: the `fetch` the
// API client calls is the lesson's stored answers or the kernel's (app/bundle.py puts it
// in front of every module), there is no URL to follow (link.js) and no training run
// (training.js: a server's worker processes). tests/test_lesson.py holds this list of
// panels to main.js's.

import { createActions } from "/static/js/actions.js";
import * as api from "/static/js/api.js";
import { mount as mountBuilder } from "/static/js/builder.js";
import { mount as mountCircuit } from "/static/js/circuitpanel.js";
import { mount as mountDescent } from "/static/js/descent.js";
import { mount as mountEditor } from "/static/js/editor.js";
import { mount as mountExplanation } from "/static/js/explanation.js";
import { mount as mountFind } from "/static/js/circuitfind.js";
import { mount as mountExport } from "/static/js/exporter.js";
import { createFindActions } from "/static/js/find.js";
import { mount as mountHelp } from "/static/js/help.js";
import { mount as mountHeader } from "/static/js/header.js";
import { detectLang } from "/static/js/i18n.js";
import { mount as mountInputs } from "/static/js/inputs.js";
import { mount as mountPractice } from "/static/js/practice.js";
import { watchGraph } from "/static/js/requests.js";
import { createStore, initialState } from "/static/js/state.js";
import { mount as mountStepper } from "/static/js/stepper.js";
import { mount as mountTabs } from "/static/js/tabs.js";

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

  mountHeader(app);
  mountHelp(app);
  mountEditor(app);
  mountInputs(app);
  mountBuilder(app);
  const circuit = mountCircuit(app);
  mountExport({ ...app, circuit });
  mountFind({ ...app, circuit });
  mountStepper(app);
  mountPractice(app);
  mountDescent(app);
  mountTabs(app);
  mountExplanation(app);

  watchGraph(app);
  api.ops().then((answer) => actions.opsLoaded(answer.ok ? answer.body.ops : []));
  api.examples().then((answer) => {
    if (answer.ok) actions.examplesLoaded(answer.body.examples);
  });
  if (api.optimizers) {
    api.optimizers().then((answer) => {
      if (answer.ok) actions.optimizersLoaded(answer.body.optimizers);
    });
  }
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
