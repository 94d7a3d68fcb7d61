// Export the circuit as it is on screen: a standalone SVG (styles inlined) or a PNG.

import { $ } from "./dom.js";

const STYLE_PROPS = ["fill", "stroke", "stroke-width", "font-family", "font-size",
  "font-style", "font-weight", "opacity", "visibility"];

function standalone(svg, box) {
  const copy = svg.cloneNode(true);
  const root = copy.querySelector(".viewport");
  if (root) root.removeAttribute("transform");
  const source = svg.querySelectorAll("*");
  const target = copy.querySelectorAll("*");
  source.forEach((node, i) => {
    const style = getComputedStyle(node);
    const css = STYLE_PROPS.map((p) => `${p}:${style.getPropertyValue(p)}`).join(";");
    target[i].setAttribute("style", css);
  });
  copy.setAttribute("viewBox", `${box.x} ${box.y} ${box.w} ${box.h}`);
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("width", String(Math.round(box.w)));
  copy.setAttribute("height", String(Math.round(box.h)));
  const bg = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  bg.setAttribute("x", String(box.x));
  bg.setAttribute("y", String(box.y));
  bg.setAttribute("width", String(box.w));
  bg.setAttribute("height", String(box.h));
  bg.setAttribute("fill", "#ffffff");
  copy.insertBefore(bg, copy.firstChild);
  return new XMLSerializer().serializeToString(copy);
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

// `box` is the drawing's extent {x, y, w, h}: the export holds the whole circuit,
// whatever part of it is zoomed into on screen.
export function exportSvg(svg, box) {
  download(new Blob([standalone(svg, box)], { type: "image/svg+xml" }), "circuit.svg");
}

export function exportPng(svg, box, scale = 2) {
  const text = standalone(svg, box);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  img.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(box.w * scale));
    canvas.height = Math.max(1, Math.round(box.h * scale));
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => download(blob, "circuit.png"), "image/png");
  };
  img.src = url;
}

// The export buttons, for the circuit view that circuitpanel.js mounted.
export function mount({ circuit }) {
  $("export-svg").addEventListener("click", () => exportSvg($("circuit"), circuit.extent));
  $("export-png").addEventListener("click", () => exportPng($("circuit"), circuit.extent));
}
