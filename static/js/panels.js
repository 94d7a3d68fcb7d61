// Every panel of the page mounted in order, and the catalogues the panels read loaded:
// the one list the served page (main.js) and the page without its server (app/js/page.js:
// a lesson file, a notebook widget) share. Each panel mounts itself on its part of the
// page and renders from the state.

import * as api from "./api.js";
import { mount as mountBuilder } from "./builder.js";
import { mount as mountCircuit } from "./circuitpanel.js";
import { mount as mountDescent } from "./descent.js";
import { mount as mountEditor } from "./editor.js";
import { mount as mountExplanation } from "./explanation.js";
import { mount as mountFind } from "./circuitfind.js";
import { mount as mountExport } from "./exporter.js";
import { mount as mountHeader } from "./header.js";
import { mount as mountHelp } from "./help.js";
import { mount as mountInputs } from "./inputs.js";
import { mount as mountPractice } from "./practice.js";
import { mount as mountStepper } from "./stepper.js";
import { mount as mountTabs } from "./tabs.js";

// The panels, the header first: it puts the page's fixed text in the chosen language
// before the others write theirs. Returns the circuit view.
export function mountPanels(app) {
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
  return circuit;
}

// The op catalogue (which the explanations read: the circuit is asked for once it is
// here, or known to be missing), the presets and the optimisers.
export function loadCatalogues({ actions }) {
  api.ops().then((answer) => actions.opsLoaded(answer.ok ? answer.body.ops : []));
  api.examples().then((answer) => {
    // the presets too large to list whole come without their program (header.js asks for it)
    if (answer.ok) {
      const large = (answer.body.large || []).map((e) => ({ ...e, large: true }));
      actions.examplesLoaded([...answer.body.examples, ...large]);
    }
  });
  api.optimizers().then((answer) => {
    if (answer.ok) actions.optimizersLoaded(answer.body.optimizers);
  });
}
