// Numbers for reading (rounded) and for checking (full), from the API's JSON values.

const NON_FINITE = { NaN: "NaN", Infinity: "∞", "-Infinity": "−∞" };

export function isTensor(value) {
  return Array.isArray(value);
}

// 1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st: a place in line, in English.
export function ordinal(n) {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] || "th");
  return `${n}${suffix}`;
}

// A scalar rounded for a label: 3 significant digits, a real minus sign.
export function num(x) {
  if (typeof x === "string") return NON_FINITE[x] ?? x;
  if (x === null || x === undefined) return "";
  if (x === 0) return "0";
  const ax = Math.abs(x);
  let text;
  if (ax >= 1e5 || ax < 1e-3) {
    text = x.toExponential(2).replace(/\.?0+e/, "e");
  } else {
    text = String(Number(x.toPrecision(3)));
  }
  return text.replace(/^-/, "−");
}

// The full value, for hover and focus. A tensor's text is made once per array: the
// answer's arrays do not change, and a step asks again for every wire's numbers.
const fullTexts = new WeakMap();

export function full(x) {
  if (typeof x === "string") return NON_FINITE[x] ?? x;
  if (isTensor(x)) {
    let text = fullTexts.get(x);
    if (text === undefined) {
      text = JSON.stringify(x).replaceAll(",", ", ");
      fullTexts.set(x, text);
    }
    return text;
  }
  if (x === null || x === undefined) return "";
  return String(x).replace(/^-/, "−");
}

// A value in a few words, for a node's accessible name: a scalar in full; a tensor
// its shape and first numbers (a 200×2 input is not read out as 400 numbers).
const BRIEF_NUMBERS = 4;

export function brief(value, shape) {
  if (!isTensor(value)) return full(value);
  const first = [];
  const walk = (v) => {
    for (const x of v) {
      if (first.length > BRIEF_NUMBERS) return;
      if (isTensor(x)) walk(x);
      else first.push(full(x));
    }
  };
  walk(value);
  const more = first.length > BRIEF_NUMBERS ? ", …" : "";
  return `(${shapeText(shape || [])}) [${first.slice(0, BRIEF_NUMBERS).join(", ")}${more}]`;
}

export function shapeText(shape) {
  return shape.length ? shape.join("×") : "scalar";
}

// A value for a label: a number, or a tensor's shape.
export function label(value, shape) {
  if (isTensor(value)) return `[${shapeText(shape)}]`;
  return num(value);
}

// A value written out in a formula: a small tensor's numbers; a big one's first and last
// numbers with its shape beside (`[1, 2, 3, …, 10] (10)`), never the shape alone, which
// would read as a vector of one number.
export function inline(value, shape) {
  if (!isTensor(value)) return label(value, shape);
  if (value.flat(Infinity).length > 8) {
    return valueText(value, shapeOf(value)); // callers may pass [] for a tensor's shape
  }
  const walk = (v) => (isTensor(v) ? `[${v.map(walk).join(", ")}]` : num(v));
  return walk(value);
}

// The shape of nested arrays, read off the arrays themselves.
function shapeOf(value) {
  const shape = [];
  for (let v = value; isTensor(v); v = v[0]) shape.push(v.length);
  return shape;
}

// A value as a step reads it: a scalar rounded; a tensor's numbers, each axis cut to its
// first and last entries past ELIDE_AT, with its shape beside (`[−1, −1] (2)`); a tensor
// the answer did not send, its shape.
const ELIDE_AT = 6;

export function valueText(value, shape) {
  if (!isTensor(value)) return num(value);
  const walk = (v) => {
    if (!isTensor(v)) return num(v);
    const parts = v.length > ELIDE_AT
      ? [...v.slice(0, 3).map(walk), "…", walk(v[v.length - 1])]
      : v.map(walk);
    return `[${parts.join(", ")}]`;
  };
  return `${walk(value)} (${shapeText(shape)})`;
}

// A value inside a formula: negatives in parentheses, as the seeds write them.
export function term(value, shape) {
  const text = inline(value, shape);
  return text.startsWith("−") ? `(${text})` : text;
}

// A tensor as the matrix it is drawn as: a vector one row, leading axes flattened.
export function matrixOf(value) {
  if (!Array.isArray(value)) return [[value]];
  if (!value.length || !Array.isArray(value[0])) return [value];
  const rows = [];
  const walk = (v) => {
    if (Array.isArray(v[0])) v.forEach(walk);
    else rows.push(v);
  };
  walk(value);
  return rows;
}
