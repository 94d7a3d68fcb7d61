// Export the circuit as it is on screen: a standalone SVG, or a PNG drawn from it.
//
// The copy is built in a document of its own, never in the page: every number, dash and
// colour goes in as a presentation attribute read from the element's computed style
// (so no inline style meets the page's Content-Security-Policy, and any SVG viewer shows
// it), a label's white halo as a copy drawn under it (viewers that ignore paint-order
// would paint the halo over the text), and the controls (the ± handles, tooltips, focus)
// stay out.

import * as api from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { SVG } from "./svg.js";

// What the page's CSS decides about how an element is drawn.
const PAINT = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray", "stroke-linejoin",
  "stroke-linecap", "stroke-opacity", "opacity", "font-family", "font-size", "font-style", "font-weight"];
// Attributes that are the page's business, not the picture's.
const PAGE_ONLY = /^(class|style|tabindex|role|aria-.*|data-.*)$/;
const SKIP = new Set(["title", "desc", "script", "style"]);
const MARGIN = 12; // px of white around the drawing

// A text's own text: its text nodes and lines (tspan), not its tooltip (title).
function ownText(node) {
  let text = "";
  for (const child of node.childNodes) {
    if (child.nodeType === 3) text += child.data;
    else if (child.localName === "tspan") text += child.textContent;
  }
  return text;
}

function copyAttributes(node, out) {
  for (const { name, value } of node.attributes) {
    if (!PAGE_ONLY.test(name)) out.setAttribute(name, value);
  }
}

function hidden(style) {
  return style.display === "none" || style.visibility === "hidden" || Number(style.opacity) === 0;
}

// A copy of `node` (an element of the live drawing) in `doc`, or null to leave it out.
function copy(node, doc) {
  const tag = node.localName;
  if (SKIP.has(tag) || node.classList.contains("gate-handle") || node.classList.contains("fold-handle") || node.classList.contains("measure-probe")) {
    return null;
  }
  const style = getComputedStyle(node);
  if (hidden(style)) return null;
  if (tag === "text" && !ownText(node).trim()) return null;
  const out = doc.createElementNS(SVG, tag);
  copyAttributes(node, out);
  if (tag !== "g") {
    for (const prop of PAINT) {
      const value = style.getPropertyValue(prop);
      if (value && value !== "normal" && value !== "auto") out.setAttribute(prop, value);
    }
  }
  if (tag === "text") {
    for (const child of node.childNodes) {
      if (child.nodeType === 3) {
        out.appendChild(doc.createTextNode(child.data));
      } else if (child.localName === "tspan") {
        const line = doc.createElementNS(SVG, "tspan");
        copyAttributes(child, line);
        line.textContent = child.textContent;
        out.appendChild(line);
      }
    }
    return haloed(out, style, doc);
  }
  for (const child of node.children) {
    const c = copy(child, doc);
    if (c) out.appendChild(c);
  }
  return out;
}

// A text whose stroke is painted first (a halo around the letters) becomes two: the halo,
// then the letters without a stroke.
function haloed(text, style, doc) {
  const stroke = style.getPropertyValue("stroke");
  if (!style.paintOrder.startsWith("stroke") || !stroke || stroke === "none"
      || parseFloat(style.strokeWidth) === 0) return text;
  const group = doc.createElementNS(SVG, "g");
  const halo = text.cloneNode(true);
  halo.setAttribute("fill", stroke);
  halo.setAttribute("aria-hidden", "true");
  text.setAttribute("stroke", "none");
  group.append(halo, text);
  return group;
}

// The drawing as a standalone SVG document (text): all of it, whatever is zoomed into.
// `extent` ({x, y, w, h}): the drawing's box, where every label goes by the end of the
// pass (else the box of what is drawn now).
export function standalone(svg, extent = null) {
  const root = svg.querySelector(".viewport");
  const doc = document.implementation.createDocument(SVG, "svg", null);
  const out = doc.documentElement;
  const drawn = root ? root.getBBox() : { x: 0, y: 0, width: 100, height: 100 };
  const box = extent || { x: drawn.x, y: drawn.y, w: drawn.width, h: drawn.height };
  const x = box.x - MARGIN;
  const y = box.y - MARGIN;
  const w = box.w + 2 * MARGIN;
  const h = box.h + 2 * MARGIN;
  out.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
  out.setAttribute("width", String(Math.ceil(w)));
  out.setAttribute("height", String(Math.ceil(h)));
  const background = doc.createElementNS(SVG, "rect");
  for (const [k, v] of Object.entries({ x, y, width: w, height: h, fill: "#ffffff" })) {
    background.setAttribute(k, String(v));
  }
  out.appendChild(background);
  if (root) {
    const drawing = copy(root, doc);
    drawing.removeAttribute("transform");
    out.appendChild(drawing);
  }
  return { text: new XMLSerializer().serializeToString(doc), width: w, height: h };
}

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function exportSvg(svg, extent = null) {
  download(new Blob([standalone(svg, extent).text], { type: "image/svg+xml" }), "circuit.svg");
}

export function exportPng(svg, extent = null, scale = 2) {
  const { text, width, height } = standalone(svg, extent);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  img.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => download(blob, "circuit.png"), "image/png");
  };
  img.src = url;
}

// The lesson file of the program and values on screen, from POST /api/lesson, saved.
async function exportLesson({ store, actions }) {
  const state = store.get();
  actions.lessonExport("saving");
  const answer = await api.lesson({ source: state.program, values: state.values,
                                    lang: state.lang });
  if (!answer.ok) {
    actions.lessonExport({ error: answer.error });
    return;
  }
  download(answer.body, "lesson.html");
  actions.lessonExport(null);
}

function renderLesson(state) {
  const button = $("export-lesson");
  const status = $("export-status");
  const saving = state.lessonExport === "saving";
  button.disabled = saving;
  button.title = t(state.lang, "exportLessonTitle");
  const error = state.lessonExport && state.lessonExport.error;
  const text = saving ? t(state.lang, "exportSaving")
    : error ? t(state.lang, "exportFailed", { message: error.summary || error.message }) : "";
  if (status.textContent !== text) status.textContent = text;
  status.classList.toggle("is-error", Boolean(error));
}

// The export buttons, for the circuit view that circuitpanel.js mounted.
export function mount({ store, actions, circuit }) {
  // all of the drawing, every label, even where a big circuit's view has not been
  $("export-svg").addEventListener("click", () => circuit.whole(() => exportSvg($("circuit"), circuit.extent)));
  $("export-png").addEventListener("click", () => circuit.whole(() => exportPng($("circuit"), circuit.extent)));
  $("export-lesson").addEventListener("click", () => exportLesson({ store, actions }));
  store.subscribe(renderLesson);
  renderLesson(store.get());
}
