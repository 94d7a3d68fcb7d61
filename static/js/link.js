// The URL follows the state (state.js's LINK table writes it), and back and forward
// bring a link's state back. A change of program or values is a new history entry, so
// back returns to the last program; anything else (a step, the language) replaces the
// current one.

import { fromLink, toLink } from "./state.js";

// History updates are slow in browsers (tens of ms for a long URL): coalesce them.
const URL_DELAY_MS = 250;

export function watchLink({ store, actions, delay = URL_DELAY_MS }) {
  let lastUrl = "";
  let lastProgram = null; // the program and values (JSON) of the URL written last
  let timer = null;

  function write(state) {
    const url = window.location.pathname + toLink(state);
    if (url === lastUrl) return;
    const values = JSON.stringify(state.values);
    const programChanged = lastProgram !== null
      && (state.program !== lastProgram.program || values !== lastProgram.values);
    if (programChanged) window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
    lastUrl = url;
    lastProgram = { program: state.program, values };
  }

  // Written once there is something to show for it: a circuit or an error.
  store.subscribe((state) => {
    if (!state.result && !state.error) return;
    clearTimeout(timer);
    timer = setTimeout(() => write(store.get()), delay);
  });

  window.addEventListener("popstate", () => {
    const restored = fromLink(window.location);
    lastUrl = window.location.pathname + window.location.hash;
    lastProgram = { program: restored.program ?? store.get().program,
                    values: JSON.stringify(restored.values ?? {}) };
    actions.restoreLink(restored);
  });
}
