// The program editor: a textarea over a backdrop that can highlight whole lines,
// a line-number gutter, and the inline error with a caret under the column. The line
// of the stepper's gate and of the gate under the pointer are highlighted.

import { $ } from "./dom.js";
import { errorText, t } from "./i18n.js";
import { stepView } from "./selectors.js";

export function mount({ store, actions }) {
  const editor = new Editor({
    textarea: $("program"), backdrop: $("backdrop"), gutter: $("gutter"),
    errorBox: $("error"), errorSummary: $("error-summary"), errorContext: $("error-context"),
  }, {
    onInput: (text) => actions.editProgram(text),
    onHoverLine: (line) => actions.hoverLine(line),
  });

  function render(state) {
    const { lang, error, result } = state;
    editor.setValue(state.program);
    if (error) {
      const summary = error.line
        ? t(lang, "errorAt", { line: error.line, column: error.column, message: errorText(lang, error) })
        : errorText(lang, error);
      // the error is one sentence, the note about the circuit another
      const ended = /[.?!。？！]$/.test(summary) ? summary : `${summary}${t(lang, "fullStop")}`;
      const gap = /[。？！]$/.test(ended) ? "" : " ";
      editor.showError(result ? `${ended}${gap}${t(lang, "stale")}` : summary, error);
    } else {
      editor.showError(null);
    }
    const { focus } = stepView(state);
    editor.mark("current", focus && focus.span ? focus.span.line : 0);
    const hovered = state.hoverNode && result ? result.nodes.find((n) => n.id === state.hoverNode) : null;
    editor.mark("hover", hovered && hovered.span ? hovered.span.line : 0);
  }

  store.subscribe(render);
  render(store.get());
}

export class Editor {
  constructor({ textarea, backdrop, gutter, errorBox, errorSummary, errorContext }, handlers) {
    this.textarea = textarea;
    this.backdrop = backdrop;
    this.gutter = gutter;
    this.errorBox = errorBox;
    this.errorSummary = errorSummary;
    this.errorContext = errorContext;
    this.handlers = handlers; // { onInput(text), onHoverLine(line|null) }
    this.lines = [];
    this.marks = { current: 0, hover: 0, error: 0 };
    textarea.addEventListener("input", () => {
      this.renderLines();
      handlers.onInput(textarea.value);
    });
    textarea.addEventListener("scroll", () => this.syncScroll());
    textarea.addEventListener("mousemove", (e) => handlers.onHoverLine(this.lineAt(e)));
    textarea.addEventListener("mouseleave", () => handlers.onHoverLine(null));
  }

  setValue(text) {
    if (this.textarea.value !== text) this.textarea.value = text;
    this.renderLines();
  }

  renderLines() {
    const lines = this.textarea.value.split("\n");
    if (lines.length === this.lines.length && lines.every((l, i) => l === this.lines[i])) return;
    this.lines = lines;
    this.backdrop.replaceChildren(...lines.map((text) => {
      const div = document.createElement("div");
      div.className = "line";
      div.textContent = text + "\n";
      return div;
    }));
    this.gutter.replaceChildren(...lines.map((_, i) => {
      const div = document.createElement("div");
      div.textContent = String(i + 1);
      return div;
    }));
    this.applyMarks();
  }

  syncScroll() {
    this.backdrop.scrollTop = this.textarea.scrollTop;
    this.gutter.scrollTop = this.textarea.scrollTop;
  }

  lineAt(event) {
    const style = getComputedStyle(this.textarea);
    const lineHeight = parseFloat(style.lineHeight) || 20;
    const top = parseFloat(style.paddingTop) || 0;
    const y = event.offsetY + this.textarea.scrollTop - top;
    const line = Math.floor(y / lineHeight) + 1;
    return line >= 1 && line <= this.lines.length ? line : null;
  }

  // Highlight kinds: "current" (the stepper's node), "hover" (a gate under the pointer),
  // "error" (the line an error points at). 0 clears.
  mark(kind, line) {
    const was = this.marks[kind];
    if (was === (line || 0)) return;
    this.marks[kind] = line || 0;
    // only the line left and the line marked change (a program may have thousands)
    this.applyMarks([was, this.marks[kind]]);
  }

  // The marks on these lines (1-based; 0 is none), or on every line.
  applyMarks(lines = null) {
    const children = this.backdrop.children;
    const apply = (n) => {
      const div = children[n - 1];
      if (!div) return;
      div.classList.toggle("current", this.marks.current === n);
      div.classList.toggle("hover", this.marks.hover === n);
      div.classList.toggle("error-line", this.marks.error === n);
    };
    if (lines) lines.forEach(apply);
    else for (let n = 1; n <= children.length; n += 1) apply(n);
  }

  // Show an error: the message, then the offending line with a caret at the column.
  showError(summary, error) {
    if (!summary) {
      if (!this.errorBox.hidden) this.errorBox.hidden = true;
      this.mark("error", 0);
      return;
    }
    this.errorBox.hidden = false;
    this.errorSummary.textContent = summary;
    let context = "";
    if (error && error.line) {
      const text = this.textarea.value.split("\n")[error.line - 1] ?? "";
      const width = error.end_line === error.line
        ? Math.max(1, (error.end_column || error.column + 1) - error.column) : 1;
      context = `${text}\n${" ".repeat(Math.max(0, error.column - 1))}${"^".repeat(width)}`;
    }
    this.errorContext.textContent = context;
    this.errorContext.hidden = !context;
    this.mark("error", error && error.line ? error.line : 0);
  }
}
