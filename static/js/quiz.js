// Practice mode's answer: the learner's number for the gradient on show, checked. A first
// wrong answer gets a second try with a hint (the upstream gradient and the local rule,
// evaluated); a second wrong answer, or "show me", reveals it.

import { edgeHint, edgeParams } from "./explain.js";
import { isRight, parseAnswer } from "./lessons.js";
import { timelineOf } from "./selectors.js";

// The state's next patch for an answer (`typed`: the text, or null for "show me"), and the
// score to keep when that answer completes the circuit; null when no question is open.
export function quizAnswer(state, typed) {
  const timeline = timelineOf(state.result);
  if (state.quiz === null || !timeline) return null;
  const item = timeline.items[state.quiz];
  const params = edgeParams(timeline, item, state.program);
  let right = false;
  let feedback;
  if (typed === null) {
    feedback = { ui: "quizShown", params };
  } else {
    const number = parseAnswer(typed);
    if (Number.isNaN(number)) return { patch: { feedback: { ui: "quizInvalid" } }, score: null };
    right = isRight(item.edge.product, number);
    if (!right && !state.quizTries) { // a second try, with the two factors as a hint
      const hint = edgeHint(timeline, item, state.program, state.ops || {});
      return { patch: { quizTries: 1, quizAsked: state.quizAsked + 1,
                        feedback: { ui: "quizHint", params: { ...hint, typed: String(number) } } },
               score: null };
    }
    feedback = { ui: right ? "quizRight" : "quizWrong", params: { ...params, typed: String(number) } };
  }
  const answers = { ...state.answers, [state.quiz]: right };
  const edges = timeline.items.filter((i) => i.kind === "edge").length;
  const score = Object.keys(answers).length === edges
    ? { right: Object.values(answers).filter(Boolean).length, total: edges } : null;
  return { patch: { answers, quiz: null, quizTries: 0, step: state.quiz + 1, feedback }, score };
}
