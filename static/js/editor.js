// The program editor: a textarea over a backdrop that can highlight whole lines,
// a line-number gutter, and the inline error with a caret under the column. The line
// of the stepper's gate and of the gate under the pointer are highlighted.

import { $ } from "./dom.js";
import { errorText, t } from "./i18n.js";
import { stepView } from "./selectors.js";

const BLOCK = 100; // lines of the backdrop and the gutter per block

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
    this.shown = null; // the text last shown (setValue) or typed
    this.typed = false; // typed text not yet in the state
    this.lineDivs = []; // the backdrop's, one a line
    this.marks = { current: 0, hover: 0, error: 0 };
    textarea.addEventListener("input", () => {
      this.shown = textarea.value;
      this.renderLines();
      if (this.typed) return;
      // the page follows the text once the key is on screen (the frame after it), and
      // keys typed meanwhile go with it: a long program's panels do not hold a key up
      this.typed = true;
      requestAnimationFrame(() => setTimeout(() => {
        this.typed = false;
        handlers.onInput(this.shown);
      }));
    });
    textarea.addEventListener("scroll", () => this.syncScroll());
    textarea.addEventListener("mousemove", (e) => handlers.onHoverLine(this.lineAt(e)));
    textarea.addEventListener("mouseleave", () => handlers.onHoverLine(null));
  }

  // The state's program (the same string, render after render, until it changes: the
  // textarea's 640 KB of micrograd's demo network are not read back and split each time).
  setValue(text) {
    if (text === this.shown || this.typed) return; // (typed text on its way to the state)
    if (this.textarea.value !== text) this.textarea.value = text;
    this.shown = text;
    this.renderLines();
  }

  // The backdrop's line divs and the gutter's numbers follow the text. Only the lines
  // that changed are written (a keystroke in a program of thousands of lines touches one),
  // and both come in blocks of BLOCK lines that the browser lays out only near the view
  // (content-visibility), so a long program costs little to show or edit.
  renderLines() {
    const lines = this.textarea.value.split("\n");
    const old = this.lines;
    const common = Math.min(lines.length, old.length);
    let first = 0;
    while (first < common && lines[first] === old[first]) first += 1;
    if (first === lines.length && lines.length === old.length) return;
    let tail = 0;
    while (tail < common - first && lines[lines.length - 1 - tail] === old[old.length - 1 - tail]) tail += 1;
    this.lines = lines;
    if (lines.length === old.length) { // the same lines, some of them edited
      for (let k = first; k < lines.length - tail; k += 1) this.lineDivs[k].textContent = `${lines[k]}\n`;
      return;
    }
    // lines came or went: the blocks from the first change on are made again
    const from = Math.floor(first / BLOCK) * BLOCK;
    this.lineDivs.length = from;
    this.refill(this.backdrop, from, lines.length, (k) => {
      const div = document.createElement("div");
      div.className = "line";
      div.textContent = `${lines[k]}\n`;
      this.lineDivs.push(div);
      return div;
    });
    // the numbers change only past the shorter of the two programs
    this.refill(this.gutter, Math.floor(common / BLOCK) * BLOCK, lines.length, (k) => {
      const div = document.createElement("div");
      div.textContent = String(k + 1);
      return div;
    });
    this.applyMarks(Object.values(this.marks));
  }

  // `parent`'s blocks from line `from` (a multiple of BLOCK) on, made again for `count`
  // lines in all by `make(k)`.
  refill(parent, from, count, make) {
    const blocks = parent.children;
    while (blocks.length > from / BLOCK) blocks[blocks.length - 1].remove();
    for (let start = from; start < count; start += BLOCK) {
      const block = document.createElement("div");
      block.className = "lines";
      const end = Math.min(count, start + BLOCK);
      block.style.setProperty("--lines", String(end - start));
      for (let k = start; k < end; k += 1) block.appendChild(make(k));
      parent.appendChild(block);
    }
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

  // The marks on these lines (1-based; 0 is none).
  applyMarks(lines) {
    for (const n of lines) {
      const div = this.lineDivs[n - 1];
      if (!div) continue;
      div.classList.toggle("current", this.marks.current === n);
      div.classList.toggle("hover", this.marks.hover === n);
      div.classList.toggle("error-line", this.marks.error === n);
    }
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
