// What a backward step through a tensor gate teaches beyond the chain-rule line:
// the matrix chain rule with its shapes (cs231n's dimension analysis), where a
// pooling gate sends each gradient, and the Jacobian an elementwise gate never
// builds. One entry per kind of note, which the op catalogue names per op
// (`backward_note`); `tensorNotes` returns plain data (sentences, a small table, the
// cells to outline in the circuit), which the page renders as text.

import { matrixOf, num } from "./format.js";
import { t } from "./i18n.js";

const JACOBIAN_MAX = 8;

function dims(shape) {
  return shape.join("×");
}

// A matmul operand as a matrix: a vector on the left is a row, on the right a column.
function asMatrix(shape, side) {
  if (shape.length === 1) return side === "left" ? [1, shape[0]] : [shape[0], 1];
  return shape.slice(-2);
}

function matmul(ctx) {
  const { gate, input, other, position, names, lang } = ctx;
  const [a, b] = position === 0 ? [input, other] : [other, input];
  if (a.shape.length > 2 || b.shape.length > 2) return null;
  const A = asMatrix(a.shape, "left");
  const B = asMatrix(b.shape, "right");
  const dY = [A[0], B[1]];
  const d = (n) => `d${n}`;
  const T = (n) => `${n}ᵀ`;
  let expr;
  let shapes;
  let otherShape;
  if (position === 0) {
    expr = `${d(names.input)} = ${d(names.gate)} · ${T(names.other)}`;
    shapes = `(${dims(A)}) = (${dims(dY)})(${dims([B[1], B[0]])})`;
    otherShape = B;
  } else {
    expr = `${d(names.input)} = ${T(names.other)} · ${d(names.gate)}`;
    shapes = `(${dims(B)}) = (${dims([A[1], A[0]])})(${dims(dY)})`;
    otherShape = A;
  }
  const why = t(lang, "matmulWhy", {
    out: names.out, input: names.input, shape: dims(position === 0 ? A : B), gate: names.gate,
    gshape: dims(dY), other: names.other, oshape: dims(otherShape),
    expr: expr.split(" = ")[1],
  });
  return { math: `${expr}    ${shapes}`, notes: [why], table: null, marks: null };
}

// The input cell each output cell's gradient goes back to: the first largest of its
// window, in reading order (the server's rule for ties).
function winners(x, k) {
  const rows = matrixOf(x);
  const out = [];
  for (let i = 0; i * k < rows.length; i++) {
    for (let j = 0; j * k < rows[0].length; j++) {
      let best = null;
      for (let r = i * k; r < (i + 1) * k; r++) {
        for (let c = j * k; c < (j + 1) * k; c++) {
          if (best === null || rows[r][c] > rows[best[0]][best[1]]) best = [r, c];
        }
      }
      out.push({ i, j, r: best[0], c: best[1] });
    }
  }
  return out;
}

function pool(kind) {
  return (ctx) => {
    const { gate, input, item, names, lang } = ctx;
    if (input.shape.length !== 2) return null;
    const k = Number(gate.params.k);
    const upstream = matrixOf(item.edge.upstream);
    const notes = [t(lang, kind === "max" ? "poolMax" : "poolMean", { k, kk: k * k })];
    const marks = new Set();
    const rows = [];
    if (kind === "max") {
      for (const w of winners(input.value, k)) {
        marks.add(`${w.r},${w.c}`);
        rows.push([`${names.gate}[${w.i},${w.j}]`, "→", `${names.input}[${w.r},${w.c}]`,
                   num(upstream[w.i][w.j])]);
      }
    } else {
      for (let i = 0; i < upstream.length; i++) {
        for (let j = 0; j < upstream[0].length; j++) {
          rows.push([`${names.gate}[${i},${j}]`, "→",
                     `${names.input}[${i * k}…${i * k + k - 1}, ${j * k}…${j * k + k - 1}]`,
                     `${num(upstream[i][j])} / ${k * k} = ${num(upstream[i][j] / (k * k))}`]);
        }
      }
    }
    return { math: "", notes, marks: kind === "max" ? new Map([[input.id, marks]]) : null,
             table: { caption: t(lang, "poolTable"), rows: rows.slice(0, 16), more: rows.length > 16 } };
  };
}

// An elementwise gate on a vector: its Jacobian is diagonal, n² numbers of which
// only n are not zero.
function jacobian(ctx) {
  const { gate, input, item, names, lang } = ctx;
  const local = item.edge.local;
  if (!Array.isArray(local) || Array.isArray(local[0])) return null;
  if (input.shape.length !== 1 || gate.shape.length !== 1 || input.shape[0] !== gate.shape[0]) return null;
  const n = local.length;
  if (n < 2 || n > JACOBIAN_MAX) return null;
  const rows = local.map((d, i) => local.map((_, j) => (i === j ? num(d) : "0")));
  return {
    math: "",
    notes: [t(lang, "jacobianWhy", { n, nn: n * n, gate: names.gate, input: names.input })],
    table: { caption: t(lang, "jacobianTitle", { gate: names.gate, input: names.input, n }),
             rows, matrix: true },
    marks: null,
  };
}

const NOTES = { dimensions: matmul, window_max: pool("max"), window_mean: pool("mean") };

// `note`: the op's backward_note in the catalogue (none: the Jacobian of an elementwise
// gate on a vector, where there is one).
export function tensorNotes(note, ctx) {
  const rule = note && Object.hasOwn(NOTES, note) ? NOTES[note] : null;
  if (rule) return rule(ctx);
  if (ctx.item.edge.local !== null) return jacobian(ctx);
  return null;
}
