// A notebook widget's start-up (anywidget), after the bundle (app/notebook/widget.py puts
// both into the widget's one ES module). The page is mounted inside a shadow root: its
// stylesheet, its element ids and its keys stay inside the widget, and the notebook's
// shortcuts stay out of it (data-lm-suppress-shortcuts). Every request the page makes is
// a message to the kernel, which answers it by calling the pipeline
// (app/notebook/kernel.py): no server, no network.

// `document` as the page's modules use it, for a page in a shadow root: elements by id
// and by selector from the root, key listeners on the root, everything else the real one.
function scopedDocument(root, host) {
  const own = {
    getElementById: (id) => root.getElementById(id),
    querySelector: (selector) => root.querySelector(selector),
    querySelectorAll: (selector) => root.querySelectorAll(selector),
    addEventListener: (...args) => root.addEventListener(...args),
    removeEventListener: (...args) => root.removeEventListener(...args),
    documentElement: host,
  };
  return new Proxy(document, {
    get(target, key) {
      if (key === "activeElement") return root.activeElement;
      if (key in own) return own[key];
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function abortError() {
  return new DOMException("The request was aborted.", "AbortError");
}

// The page's fetch, over the widget's comm: each request a message, each answer a message.
function kernelFetch(model) {
  const waiting = new Map();
  let next = 0;
  const onMessage = (message) => {
    const settle = message && waiting.get(message.id);
    if (!settle) return;
    waiting.delete(message.id);
    settle(message);
  };
  model.on("msg:custom", onMessage);
  const fetch = (url, init = {}) => new Promise((resolve, reject) => {
    const signal = init.signal;
    if (signal && signal.aborted) {
      reject(abortError());
      return;
    }
    next += 1;
    const id = next;
    waiting.set(id, (message) => {
      if ("text" in message) {
        resolve(new Response(message.text, { status: message.status,
                                             headers: { "content-type": message.type } }));
      } else {
        resolve(new Response(JSON.stringify(message.body), {
          status: message.status, headers: { "content-type": "application/json" } }));
      }
    });
    if (signal) {
      signal.addEventListener("abort", () => {
        if (waiting.delete(id)) reject(abortError());
      });
    }
    model.send({ id, url: String(url), method: init.method || "GET", body: init.body || null });
  });
  return { fetch, stop: () => model.off("msg:custom", onMessage) };
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function render({ model, el }) {
  const host = document.createElement("div");
  host.className = "backprop-lab-widget";
  host.setAttribute("data-lm-suppress-shortcuts", "true");
  el.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = model.get("_page_css");
  const page = document.createElement("div");
  page.className = "bpl-page";
  page.innerHTML = model.get("_page_html");
  root.append(style, page);
  // what a notebook has no use for: training (a server's worker processes), and the
  // lesson file (circuit.lesson() writes it from the kernel)
  for (const selector of ["#tab-train", "#train-panel", "#export-lesson"]) {
    const node = root.querySelector(selector);
    if (node) node.hidden = true;
  }
  const kernel = kernelFetch(model);
  const app = load({ document: scopedDocument(root, host), fetch: kernel.fetch }).mountPage({
    program: model.get("program"), values: model.get("values"), lang: model.get("lang"),
    step: model.get("step"), storage: storage(),
  });

  // the step and the language follow the page; the program and values follow Python
  let last = { step: model.get("step"), lang: model.get("lang") };
  const unsubscribe = app.store.subscribe((state) => {
    if (state.step === last.step && state.lang === last.lang) return;
    last = { step: state.step, lang: state.lang };
    model.set("step", state.step);
    model.set("lang", state.lang);
    model.save_changes();
  });
  const fromPython = {
    "change:step": () => {
      if (model.get("step") !== app.store.get().step) app.actions.goTo(model.get("step"));
    },
    "change:program": () => app.actions.editProgram(model.get("program")),
    "change:values": () => {
      for (const [name, value] of Object.entries(model.get("values"))) {
        app.actions.setValue(name, value);
      }
    },
    "change:lang": () => {
      if (model.get("lang") !== app.store.get().lang) app.actions.setLang(model.get("lang"));
    },
  };
  for (const [event, handler] of Object.entries(fromPython)) model.on(event, handler);
  host.dataset.ready = "1";
  return () => {
    unsubscribe();
    kernel.stop();
    for (const [event, handler] of Object.entries(fromPython)) model.off(event, handler);
  };
}

export default { render };
