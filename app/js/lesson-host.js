// A lesson file's start-up, after the bundle (app/lesson.py writes both into one inline
// module, allowed by the file's Content-Security-Policy by its hash). No server, no
// network: every request the page makes is answered from the answers stored in the file
// (#lesson-data), computed when the file was written; anything else is an error saying
// so. The program and its values are the lesson's: the editor is read-only, the input
// fields are disabled, and a note says why.

const data = JSON.parse(document.getElementById("lesson-data").textContent);

const NOTES = {
  en: "This is a lesson file: the program and its values are fixed. Step through it, "
    + "switch the language, open the teaching tools; to change the program, open it in "
    + "Backprop Lab.",
  zh: "这是一份课件：程序和输入值是固定的。可以逐步查看、切换语言、打开教学工具；"
    + "要修改程序，请在 Backprop Lab 中打开。",
};
const UNAVAILABLE = {
  en: "This lesson file holds only the answers it was written with",
  zh: "本课件只包含制作时计算好的结果",
};

function reply(status, body) {
  return Promise.resolve(new Response(JSON.stringify(body), {
    status, headers: { "content-type": "application/json" },
  }));
}

function unavailable(key, what) {
  const summary = `${UNAVAILABLE.en} (${what}). / ${UNAVAILABLE.zh}（${what}）。`;
  return reply(400, { error: { type: "request", message: summary, summary, key,
                               args: {}, line: null, column: null, end_line: null,
                               end_column: null } });
}

const sorted = (values) => JSON.stringify(Object.keys(values || {}).sort()
  .map((k) => [k, values[k]]));

// POST /api/graph, from the stored answers: the variant of the circuit asked for (as
// written, every composite gate expanded, or one expanded), with the code, the nudge plot
// of one input and the update step added when the request asks for them.
function graph(body) {
  if (body.source !== data.program || sorted(body.values) !== sorted(data.values)) {
    return unavailable("lesson_program", "program");
  }
  let variant = "plain";
  if (body.expand === true) variant = "all";
  else if (Array.isArray(body.expand) && body.expand.length === 1) variant = body.expand[0];
  else if (Array.isArray(body.expand) && body.expand.length > 1) variant = null;
  const stored = variant === null ? null : data.answers[variant];
  if (!stored) return unavailable("expand_lesson", "expand");
  const answer = { ...stored.body };
  if (body.code) {
    if (stored.code_error) return reply(400, stored.code_error);
    answer.code = stored.code;
  }
  if (body.sweep) {
    const sweep = data.sweeps[body.sweep.input];
    if (!sweep) return unavailable("sweep_lesson", "nudge plot");
    answer.sweep = sweep;
  }
  if (body.lr !== undefined) return unavailable("update_lesson", "update");
  return reply(200, answer);
}

function lessonFetch(url, init = {}) {
  const path = String(url);
  if (path === "/api/ops") return reply(200, { ops: data.ops });
  if (path === "/api/examples") return reply(200, { examples: data.examples });
  if (path === "/api/graph") return graph(JSON.parse(init.body));
  return unavailable("lesson_request", path);
}

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // a browser that keeps nothing for file:// pages
  }
}

const page = load({ fetch: lessonFetch }).mountPage({
  program: data.program, values: data.values, lang: data.lang, example: data.example,
  storage: storage(),
});

// What a lesson file does not offer: editing, other programs, the network builder,
// gradient descent and training (each needs the server).
const $ = (id) => document.getElementById(id);
$("program").readOnly = true;
$("examples").disabled = true;
for (const selector of ["#builder", ".descent-bar", "#tab-train", "#train-panel",
                        "#export-lesson"]) {
  const node = document.querySelector(selector);
  if (node) node.hidden = true;
}
const fields = document.createElement("fieldset");
fields.disabled = true;
Object.assign(fields.style, { border: "0", margin: "0", padding: "0", minWidth: "0" });
const inputs = $("inputs");
inputs.replaceWith(fields);
fields.append(inputs);
const note = document.createElement("p");
note.id = "lesson-note";
note.className = "panel-note";
$("editor").after(note);
document.documentElement.dataset.lesson = "1";
const showNote = (state) => {
  const text = NOTES[state.lang] || NOTES.en;
  if (note.textContent !== text) note.textContent = text;
};
page.store.subscribe(showNote);
showNote(page.store.get());
