// The input panel: a number field and a slider for every scalar input, a list field
// for every tensor input. Rebuilt only when the set of inputs changes.

import { $ } from "./dom.js";
import { t } from "./i18n.js";
import { inputList } from "./selectors.js";

export function mount({ store, actions }) {
  const panel = new InputsPanel($("inputs"), (name, value) => actions.setValue(name, value));
  const render = (state) => panel.render(inputList(state), state.lang);
  store.subscribe(render);
  render(store.get());
}

// A field shows four significant digits, as the update's formulas do, and the full number
// on hover and while it has the focus (so an edit starts from every digit).
function short(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

function shortJSON(value) {
  return JSON.stringify(value, (_, v) => (typeof v === "number" ? Number(short(v)) : v));
}

function fieldText(field, value, tensor) {
  if (value === null) return "";
  if (tensor) return document.activeElement === field ? JSON.stringify(value) : shortJSON(value);
  return document.activeElement === field ? String(value) : short(value);
}

function sliderRange(value) {
  const span = Math.max(5, Math.ceil(Math.abs(value) * 2));
  return [-span, span];
}

export class InputsPanel {
  constructor(root, onChange) {
    this.root = root;
    this.onChange = onChange; // (name, value) => void
    this.key = "";
    this.rows = new Map();
  }

  render(inputs, lang) {
    const key = lang + "|" + inputs.map((i) => `${i.name}:${i.tensor}`).join(",");
    if (key !== this.key) {
      this.key = key;
      this.build(inputs, lang);
    }
    for (const input of inputs) {
      const row = this.rows.get(input.name);
      if (!row) continue;
      row.value = input.value;
      const full = input.value === null ? "" : JSON.stringify(input.value);
      if (input.tensor) {
        const text = fieldText(row.text, input.value, true);
        if (document.activeElement !== row.text && row.text.value !== text) row.text.value = text;
        if (row.text.title !== full) row.text.title = full;
      } else {
        const text = input.value === null ? "" : String(input.value);
        const shown = fieldText(row.number, input.value, false);
        if (document.activeElement !== row.number && row.number.value !== shown) row.number.value = shown;
        if (row.number.title !== full) row.number.title = full;
        const [lo, hi] = sliderRange(input.value ?? 0);
        if (input.value < Number(row.slider.min) || input.value > Number(row.slider.max)) {
          row.slider.min = String(lo);
          row.slider.max = String(hi);
        }
        if (document.activeElement !== row.slider) row.slider.value = text;
      }
    }
  }

  build(inputs, lang) {
    this.rows.clear();
    if (!inputs.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = t(lang, "noInputs");
      this.root.replaceChildren(p);
      return;
    }
    this.root.replaceChildren(...inputs.map((input) => this.row(input, lang)));
  }

  row(input, lang) {
    const div = document.createElement("div");
    div.className = "input-row";
    const name = document.createElement("label");
    name.className = "input-name";
    name.textContent = input.name;
    div.appendChild(name);
    if (input.tensor) {
      const text = document.createElement("input");
      text.type = "text";
      text.className = "input-tensor";
      text.setAttribute("aria-label", input.name);
      text.placeholder = t(lang, "tensorHint");
      text.value = fieldText(text, input.value, true);
      text.addEventListener("focus", () => {
        const value = this.rows.get(input.name).value;
        if (value !== null && value !== undefined) text.value = JSON.stringify(value);
      });
      text.addEventListener("blur", () => {
        const value = this.rows.get(input.name).value;
        if (value !== null && value !== undefined && !text.hasAttribute("aria-invalid")) {
          text.value = shortJSON(value);
        }
      });
      text.addEventListener("change", () => {
        try {
          this.onChange(input.name, JSON.parse(text.value));
          text.removeAttribute("aria-invalid");
        } catch {
          text.setAttribute("aria-invalid", "true");
        }
      });
      div.appendChild(text);
      this.rows.set(input.name, { text, value: input.value });
      return div;
    }
    const number = document.createElement("input");
    number.type = "number";
    number.step = "any";
    number.className = "input-number";
    number.setAttribute("aria-label", input.name);
    number.value = fieldText(number, input.value, false);
    number.addEventListener("focus", () => {
      const value = this.rows.get(input.name).value;
      if (typeof value === "number") number.value = String(value);
    });
    number.addEventListener("blur", () => {
      const value = this.rows.get(input.name).value;
      if (typeof value === "number" && Number(number.value) === value) number.value = short(value);
    });
    const slider = document.createElement("input");
    slider.type = "range";
    slider.className = "input-slider";
    slider.step = "0.01";
    const [lo, hi] = sliderRange(input.value ?? 0);
    slider.min = String(lo);
    slider.max = String(hi);
    slider.value = String(input.value ?? 0);
    slider.setAttribute("aria-label", t(lang, "slider", { name: input.name }));
    number.addEventListener("input", () => {
      if (number.value === "" || Number.isNaN(Number(number.value))) return;
      this.onChange(input.name, Number(number.value));
    });
    slider.addEventListener("input", () => this.onChange(input.name, Number(slider.value)));
    div.append(number, slider);
    this.rows.set(input.name, { number, slider, value: input.value });
    return div;
  }
}
