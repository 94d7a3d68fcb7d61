// The page's one state object, its URL form, and a tiny store that notifies on change.
//
// Everything a link must reproduce lives in the URL: the program, the input values,
// the step, the expanded gates and the language. It lives in the fragment (#p=…), which
// never travels to the server, so a long program makes no request line too long for it;
// links written with a query (?p=…) are read too. One table (LINK) says, per key, how
// the state writes it and how a link's text is read back.

import { isName } from "./names.js";

export const DEFAULT_PROGRAM = "x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z\n";

export function initialState() {
  return {
    program: DEFAULT_PROGRAM,
    values: {}, // overrides typed in the input panel, by name
    step: 0,
    lang: "en",
    playing: false,
    speed: 4,
    result: null, // the last good /api/graph body
    resultFor: null, // the program and values that answer was asked for (JSON)
    landing: null, // where the stepper lands on the next answer (null: carry the position over)
    error: null, // the last error envelope's body, or null
    loading: null, // a slow request's progress: {phase, bytes?} (requests.js), or null
    hoverLine: null,
    hoverNode: null,
    search: { query: "", at: 0 }, // the circuit search field and which of its matches is shown (find.js)
    ops: null, // the op catalogue (GET /api/ops) by name; the circuit is asked for after it
    examples: [], // the presets (GET /api/examples)
    example: "",
    practice: false, // predict each backward gradient before it is shown
    quiz: null, // the timeline position whose gradient is being asked, or null
    quizAsked: 0, // counts the times the quiz asked for the answer field's focus
    quizTries: 0, // wrong answers given to the question on show (one: the hint is out)
    answers: {}, // position -> answered right
    feedback: null, // what the page said about the last answer (a message: see i18n.js)
    forget: false, // show the "forgot the +=" comparison
    expandAll: false, // composite gates drawn as their primitives
    expanded: [], // ids (of the collapsed circuit) of composite gates expanded in place
    foldGroups: true, // a big program's answer opens folded into its statements (groups.js)
    opened: [], // the groups unfolded, by id ("g3"): the rest of a folded answer is boxes
    closed: [], // the groups the learner collapsed on a program drawn whole (not folded), by id
    answer: null, // an answer with groups as the server sent it; `result` is it folded by `opened`
                  // (a big program's) or by `closed` (a small one's: groups.js foldedAs)
    tab: "explain", // "explain", "check", "code", "plot" or "train"
    help: false, // the help panel (what to type, the keys) is open
    sweepInput: null, // the input the learner picked for the nudge plot (null: the first)
    sweepRange: null, // {input, from, to}: the range kept while the same input is slid
    codeNotice: null, // the error that says why the code tab has no program
    network: null, // the built network: its two programs, params map, form shown, results
    networkError: null, // why the last build failed (a message)
    update: false, // append one step of gradient descent to the backward pass
    lr: 0.5, // its learning rate
    params: null, // the inputs it updates, by name (null: the server's default)
    lossHistory: [], // the output before each applied update, for the loss plot
    lossProgram: null, // the program the history belongs to: another program starts afresh
    training: null, // the training run: status, pass, history, boundary, accuracy, params
    trainPreset: null, // {run, n}: a preset's run settings, for the Train tab's form
    trainData: null, // the data set's points drawn under the boundary ({X, y, key})
    dataLoading: false, // a preset's data set is on its way: the circuit waits for it
    trainLog: false, // the loss curve on a log scale
    optimizers: null, // the optimiser table (GET /api/optimizers)
    lessonExport: null, // the lesson file being written: "saving", {error}, or null
    optimizer: { name: "sgd" }, // the update's and the Train tab's: name and hyperparameters
    optimizerState: null, // {program, name, t, params}: its state after the applied updates
    trainPace: 7, // the Train tab's pace, an index of runstate.js's PACES (7: as fast as it goes)
    trainTrainable: null, // the inputs a run trains (null: the server's default)
    trainBind: { x: null, y: null }, // the inputs the data goes to (null: X and y)
    recorderAt: null, // the flight recorder's snapshot on show (null: the latest)
    recorderView: null, // that snapshot's pictures, from the server: {pass, boundary, …}
    ownPoints: null, // the learner's own points, kept while another data set is on show
  };
}

export function createStore(state) {
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...patch };
      for (const fn of listeners) fn(state);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}

// What a link may carry. A reader turns the key's text into a patch of the state, or
// null to drop it: a link is anyone's text, so whatever does not fit is left out
// silently and the rest (above all the program) still loads. Nothing here throws, and
// nothing read becomes a pattern or markup.
export const LINK_LIMITS = {
  programChars: 100_000, // the server's max_source_chars
  names: 1_000, // entries of v
  nameChars: 64,
  depth: 32, // nesting of a value's lists
  items: 100_000, // numbers and lists in all of v together
  stepDigits: 9,
  expanded: 20_000, // ids in x (the server's max_nodes)
};

const DIGITS = /^[0-9]+$/;
const NODE_ID = /^n[0-9]{1,9}$/;
const GROUP_ID = /^g[0-9]{1,9}$/;
const NON_FINITE = new Set(["NaN", "Infinity", "-Infinity"]);

// One row per key, in the order a link writes them: `write` gives the key's text for a
// state (null: the key is left out), `read` the patch a link's text makes.
const LINK = [
  {
    key: "p",
    write: (state) => state.program,
    read: (text) => (text.length <= LINK_LIMITS.programChars ? { program: text } : null),
  },
  {
    key: "v",
    write: (state) => (Object.keys(state.values).length ? JSON.stringify(state.values) : null),
    read: (text) => {
      const values = readValues(text);
      return values ? { values } : null;
    },
  },
  {
    key: "s",
    write: (state) => (state.step ? String(state.step) : null),
    read: (text) => (text.length <= LINK_LIMITS.stepDigits && DIGITS.test(text)
      ? { step: Number(text) } : null),
  },
  {
    key: "x",
    write: (state) => {
      if (state.expandAll) return "1";
      return state.expanded.length ? state.expanded.join(",") : null;
    },
    read: (text) => {
      if (text === "1") return { expandAll: true, expanded: [] };
      const ids = text.split(",", LINK_LIMITS.expanded).filter((id) => NODE_ID.test(id));
      return { expandAll: false, expanded: ids };
    },
  },
  {
    key: "f",
    write: (state) => (state.foldGroups ? null : "0"),
    read: (text) => ({ foldGroups: text !== "0" }),
  },
  {
    key: "g",
    write: (state) => (state.foldGroups && state.opened.length ? state.opened.join(",") : null),
    read: (text) => ({ opened: text.split(",", LINK_LIMITS.expanded).filter((id) => GROUP_ID.test(id)) }),
  },
  {
    key: "c",
    write: (state) => (state.foldGroups && state.closed.length ? state.closed.join(",") : null),
    read: (text) => ({ closed: text.split(",", LINK_LIMITS.expanded).filter((id) => GROUP_ID.test(id)) }),
  },
  {
    key: "lang",
    write: (state) => state.lang,
    read: (text) => (text === "en" || text === "zh" ? { lang: text } : null),
  },
];

// What a link that leaves a key out means.
const LINK_DEFAULTS = { step: 0, expandAll: false, expanded: [], foldGroups: true, opened: [], closed: [] };

export function toLink(state) {
  const params = new URLSearchParams();
  for (const { key, write } of LINK) {
    const text = write(state);
    if (text !== null) params.set(key, text);
  }
  return `#${params.toString()}`;
}

export function fromLink(location) {
  const hash = location.hash.replace(/^#/, "");
  const params = new URLSearchParams(hash.includes("p=") ? hash : location.search);
  const out = { ...LINK_DEFAULTS, expanded: [], opened: [], closed: [] };
  for (const { key, read } of LINK) {
    const text = params.get(key);
    if (text !== null) Object.assign(out, read(text));
  }
  return out;
}

// v: JSON of input values by name. Each entry whose name is a name of the language and
// whose value is a number, "NaN"/"Infinity"/"-Infinity" or nested lists of those is kept.
function readValues(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  let items = LINK_LIMITS.items;
  const kept = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (kept.length >= LINK_LIMITS.names) break;
    if (name.length > 2 * LINK_LIMITS.nameChars || !isName(name)
        || [...name].length > LINK_LIMITS.nameChars) continue;
    const budget = { items }; // a value dropped for its size leaves the budget to the rest
    if (isValue(value, 0, budget)) {
      kept.push([name, value]);
      items = budget.items;
    }
  }
  return Object.fromEntries(kept); // own properties, even one named __proto__
}

function isValue(value, depth, budget) {
  if (--budget.items < 0) return false;
  if (typeof value === "number") return Number.isFinite(value);
  if (typeof value === "string") return NON_FINITE.has(value);
  if (!Array.isArray(value) || depth >= LINK_LIMITS.depth) return false;
  return value.every((item) => isValue(item, depth + 1, budget));
}
