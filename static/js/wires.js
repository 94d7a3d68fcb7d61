// Wires as they are drawn, with no DOM: a straight line between two points, a smooth
// curve through more (horizontal where it passes a point), and the wire's height every
// few px of x, which the label placement reads to keep a label off its wire.

const STEP = 4; // px of x between two samples of a wire
const PER_SEGMENT = 24; // points per curved segment before resampling

// The SVG path of a wire through the layout's points.
export function pathThrough(points) {
  let d = `M${points[0][0]},${points[0][1]}`;
  if (points.length === 2) return `${d} L${points[1][0]},${points[1][1]}`;
  for (let i = 1; i < points.length; i += 1) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    const mx = (x0 + x1) / 2;
    d += ` C${mx},${y0} ${mx},${y1} ${x1},${y1}`;
  }
  return d;
}

// The drawn curve as a dense polyline (xs, ys). A segment of the curve is the cubic with
// control points (mx, y0) and (mx, y1): x = x0 + dx(1.5t − 1.5t² + t³),
// y = y0 + dy(3t² − 2t³).
function polyline(points) {
  if (points.length === 2) {
    return [Float64Array.of(points[0][0], points[1][0]), Float64Array.of(points[0][1], points[1][1])];
  }
  const n = (points.length - 1) * PER_SEGMENT + 1;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  xs[0] = points[0][0];
  ys[0] = points[0][1];
  let k = 1;
  for (let i = 1; i < points.length; i += 1) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    for (let j = 1; j <= PER_SEGMENT; j += 1) {
      const t = j / PER_SEGMENT;
      xs[k] = x0 + (x1 - x0) * (1.5 * t - 1.5 * t * t + t * t * t);
      ys[k] = y0 + (y1 - y0) * (3 * t * t - 2 * t * t * t);
      k += 1;
    }
  }
  return [xs, ys];
}

// A wire's y every STEP px of x. Wires run left to right, so y is a function of x.
export function sampleWire(points) {
  const [lx, ly] = polyline(points);
  const last = lx.length - 1;
  const x0 = lx[0];
  const x1 = lx[last];
  const n = Math.max(2, Math.ceil((x1 - x0) / STEP) + 1);
  const step = (x1 - x0) / (n - 1);
  const ys = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < n; i += 1) {
    const x = x0 + i * step;
    while (j < last - 1 && lx[j + 1] < x) j += 1;
    ys[i] = lx[j + 1] > lx[j] ? ly[j] + ((ly[j + 1] - ly[j]) * (x - lx[j])) / (lx[j + 1] - lx[j]) : ly[j + 1];
  }
  return { x0, x1, step, ys };
}

// The wire's y at x within its x range (by its samples).
function sampleAt(wire, x) {
  const { ys, step, x0 } = wire;
  if (!step) return ys[0];
  const last = ys.length - 1;
  const f = (x - x0) / step;
  const i = Math.min(last - 1, Math.max(0, Math.floor(f)));
  return ys[i] + (ys[i + 1] - ys[i]) * Math.min(1, Math.max(0, f - i));
}

const RANGE = [0, 0]; // yRange's answer, reused: read it before the next call

// The lowest and highest y of the wire over [left, right] (null where it has none), as
// [lo, hi] — one array, overwritten by the next call.
export function yRange(wire, left, right) {
  const l = Math.max(left, wire.x0);
  const r = Math.min(right, wire.x1);
  if (l > r) return null;
  const { ys, step, x0 } = wire;
  const a = sampleAt(wire, l);
  const b = sampleAt(wire, r);
  let lo = Math.min(a, b);
  let hi = Math.max(a, b);
  if (step) {
    const end = Math.min(Math.floor((r - x0) / step), ys.length - 1);
    for (let i = Math.ceil((l - x0) / step); i <= end; i += 1) {
      if (ys[i] < lo) lo = ys[i];
      if (ys[i] > hi) hi = ys[i];
    }
  }
  RANGE[0] = lo;
  RANGE[1] = hi;
  return RANGE;
}

// The y of the wire at x (its end's y outside its x range).
export function yAt(wire, x) {
  if (x < wire.x0) return wire.ys[0];
  if (x > wire.x1) return wire.ys[wire.ys.length - 1];
  return sampleAt(wire, x);
}
