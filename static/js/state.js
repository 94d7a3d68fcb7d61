// The page's one state object, its URL form, and a tiny store that notifies on change.
//
// Everything a link must reproduce lives in the URL: the program, the input values,
// the step, and the language. It lives in the fragment (#p=…), which never travels to
// the server, so a long program makes no request line too long for it; links written
// with a query (?p=…) are read too.

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
    error: null, // the last error envelope's body, or null
    hoverLine: null,
    hoverNode: null,
    example: "",
    practice: false, // predict each backward gradient before it is shown
    quiz: null, // the timeline position whose gradient is being asked, or null
    answers: {}, // position -> answered right
    feedback: "", // what the page said about the last answer
    forget: false, // show the "forgot the +=" comparison
    expandAll: false, // composite gates drawn as their primitives
    expanded: [], // ids (of the collapsed circuit) of composite gates expanded in place
    tab: "explain", // "explain", "check", "code" or "plot"
    sweepInput: null, // the input the nudge plot slides
    sweepRange: null, // [from, to] kept while the same input is slid
    codeNotice: "", // why the code tab has no program (the circuit is too large)
    network: null, // the built network: its two programs, params map, form shown, results
    update: false, // append one step of gradient descent to the backward pass
    lr: 0.5, // its learning rate
    params: null, // the inputs it updates, by name (null: the server's default)
    lossHistory: [], // the output before each applied update, for the loss plot
    lossProgram: null, // the program the history belongs to: another program starts afresh
    training: null, // the training run: status, pass, history, boundary, accuracy, params
    trainData: null, // the data set's points drawn under the boundary ({X, y, key})
    trainLog: false, // the loss curve on a log scale
    networkError: "", // why the last build failed
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

export function toLink(state) {
  const params = new URLSearchParams();
  params.set("p", state.program);
  if (Object.keys(state.values).length) params.set("v", JSON.stringify(state.values));
  if (state.step) params.set("s", String(state.step));
  if (state.expandAll) params.set("x", "1");
  else if (state.expanded.length) params.set("x", state.expanded.join(","));
  params.set("lang", state.lang);
  return `#${params.toString()}`;
}

export function fromLink(location) {
  const hash = location.hash.replace(/^#/, "");
  const params = new URLSearchParams(hash.includes("p=") ? hash : location.search);
  const out = {};
  if (params.has("p")) out.program = params.get("p");
  if (params.has("v")) {
    try {
      const values = JSON.parse(params.get("v"));
      if (values && typeof values === "object" && !Array.isArray(values)) out.values = values;
    } catch {
      // a hand-edited link with broken values: keep the program, drop the values
    }
  }
  const expand = params.get("x") || "";
  out.expandAll = expand === "1";
  out.expanded = expand && expand !== "1" ? expand.split(",").filter((id) => /^n\d+$/.test(id)) : [];
  const step = Number.parseInt(params.get("s") || "0", 10);
  out.step = Number.isFinite(step) && step > 0 ? step : 0;
  if (params.get("lang") === "en" || params.get("lang") === "zh") out.lang = params.get("lang");
  return out;
}
