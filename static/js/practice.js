// The teaching bar: practice (predict each backward gradient before it is shown, with a
// score kept per program in the browser) and "Forgot the +=?" (the backward pass as the
// buggy implementation that overwrites, beside the right gradients).

import { $, row, setAttr, setHidden, setText } from "./dom.js";
import { displayName, edgeParams } from "./explain.js";
import { num } from "./format.js";
import { message, t } from "./i18n.js";
import { loadScore } from "./lessons.js";
import { bugReport, stepView } from "./selectors.js";

export function mount({ store, actions }) {
  const answer = $("answer");
  $("practice").addEventListener("change", (e) => actions.setPractice(e.target.checked));
  $("forget").addEventListener("click", () => actions.toggleForget());
  $("quiz").addEventListener("submit", (e) => {
    e.preventDefault();
    actions.answer(answer.value);
  });
  $("quiz-show").addEventListener("click", () => actions.answer(null));

  let quiz = null; // the question on show
  let asked = store.get().quizAsked;

  function renderQuiz(state, timeline, view) {
    const { lang } = state;
    if ($("practice").checked !== state.practice) $("practice").checked = state.practice;
    const quizOn = state.quiz !== null && timeline && view;
    setHidden($("quiz"), !quizOn);
    if (quizOn) {
      const params = edgeParams(timeline, timeline.items[state.quiz], state.program);
      setText($("quiz-question"), t(lang, "quizQuestion", params));
    }
    if (state.quiz !== quiz) {
      if (state.quiz !== null) answer.value = ""; // a new question
      quiz = state.quiz;
    }
    if (state.quizAsked !== asked) {
      asked = state.quizAsked;
      answer.focus();
      answer.select(); // a second try types over the first
    }
    setText($("quiz-feedback"), message(lang, state.feedback));
    const right = Object.values(state.answers).filter(Boolean).length;
    const total = Object.keys(state.answers).length;
    let score = "";
    if (state.practice) {
      const last = loadScore(window.localStorage, state.program);
      score = last ? t(lang, "scoreLast", { right, total, lastRight: last.right, lastTotal: last.total })
        : t(lang, "score", { right, total });
    }
    setText($("score"), score);
  }

  function renderBugs(state, timeline) {
    const { lang } = state;
    setAttr($("forget"), "aria-pressed", String(state.forget));
    setHidden($("bug-demo"), !(state.forget && timeline));
    // the panels give it the room (app.css)
    const panels = $("bug-demo").parentElement;
    if (panels.classList.contains("with-bug-demo") !== Boolean(state.forget && timeline)) {
      panels.classList.toggle("with-bug-demo", Boolean(state.forget && timeline));
    }
    if (!state.forget || !timeline) return;
    const report = bugReport(timeline);
    const rows = $("bug-rows");
    const key = `${lang}|${report.rows.length}|${state.program}|${JSON.stringify(state.values)}`;
    if (rows.dataset.key === key) return;
    rows.dataset.key = key;
    const wrong = report.rows.filter((r) => r.wrong);
    let summary;
    if (!report.supported) summary = t(lang, "bugTensor");
    else if (!wrong.length) summary = t(lang, "bugNone");
    else {
      const worst = wrong.reduce((a, b) => (Math.abs(b.off) > Math.abs(a.off) ? b : a));
      summary = t(lang, "bugSummary", {
        count: wrong.length, n: report.rows.length, name: displayName(worst.node, state.program),
        buggy: num(worst.buggy), correct: num(worst.correct) });
    }
    setText($("bug-summary"), summary);
    rows.replaceChildren(...report.rows.map((r) => {
      const tr = row([displayName(r.node, state.program), num(r.correct), num(r.buggy),
                      r.wrong ? num(r.off) : "0"]);
      tr.classList.toggle("wrong", r.wrong);
      return tr;
    }));
  }

  function render(state) {
    const { timeline, view } = stepView(state);
    renderQuiz(state, timeline, view);
    renderBugs(state, timeline);
  }

  store.subscribe(render);
  render(store.get());
}
