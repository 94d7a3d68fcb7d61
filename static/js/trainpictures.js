// The training panel's pictures, drawn on canvases: the decision boundary shaded by the
// network's confidence with the points on top, and what each neuron learned — every
// hidden unit's output over the same plane, a small heat map per unit (TF Playground's
// picture): blue where the unit's output is positive, orange where negative.
//
// The boundary plot is also where the learner draws their own points: `toData` turns a
// click on the canvas into the point it lands on.

// Class colours: the boundary's regions (light) and the points (strong).
const CLASSES = [[214, 69, 65], [53, 106, 195], [46, 160, 67], [230, 150, 30], [140, 80, 190]];
const POSITIVE = [8, 119, 189]; // a unit's output above 0
const NEGATIVE = [245, 147, 34]; // below 0

function padded(X) {
  const xs = X.map((p) => p[0]);
  const ys = X.map((p) => p[1]);
  return { x0: Math.min(...xs) - 0.5, x1: Math.max(...xs) + 0.5,
           y0: Math.min(...ys) - 0.5, y1: Math.max(...ys) + 0.5 };
}

// The box a plot shows: the learner's points keep theirs; else the boundary's, else the data's.
export function viewBox(boundary, data) {
  if (data && data.box) return data.box;
  if (boundary) return boundary;
  if (data && data.X && data.X.length) return padded(data.X);
  return { x0: -1.5, x1: 1.5, y0: -1.5, y1: 1.5 };
}

// A grid (row 0 at the bottom) as an image, each cell's colour from `colour(row, col)`.
function gridImage(rows, cols, colour) {
  const tmp = document.createElement("canvas");
  tmp.width = cols;
  tmp.height = rows;
  const ctx = tmp.getContext("2d");
  const image = ctx.createImageData(cols, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const rgb = colour(rows - 1 - r, c);
      const k = 4 * (r * cols + c);
      image.data[k] = rgb[0];
      image.data[k + 1] = rgb[1];
      image.data[k + 2] = rgb[2];
      image.data[k + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  return tmp;
}

function tint(rgb, strength) {
  return rgb.map((v) => 255 - (255 - v) * strength);
}

// The colour of a point: its class's, or for a target (regression) blue to orange by value.
function pointColour(data, i, low, high) {
  if (data.classes !== null && data.classes !== undefined) {
    return CLASSES[data.y[i] % CLASSES.length];
  }
  const v = Number(data.y[i]);
  const s = high > low ? (v - low) / (high - low) : 0.5;
  return NEGATIVE.map((a, k) => Math.round(a + (POSITIVE[k] - a) * s));
}

export function drawBoundary(canvas, boundary, data) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const box = viewBox(boundary, data);
  const sx = (x) => ((x - box.x0) / (box.x1 - box.x0)) * w;
  const sy = (y) => h - ((y - box.y0) / (box.y1 - box.y0)) * h;
  if (boundary && boundary.grid && boundary.grid.length) {
    const { grid, confidence } = boundary;
    const image = gridImage(grid.length, grid[0].length, (r, c) => {
      // the surer the class, the stronger its colour
      const sure = confidence ? Number(confidence[r][c]) || 0 : 1;
      return tint(CLASSES[grid[r][c] % CLASSES.length], 0.12 + 0.33 * sure);
    });
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(image, sx(boundary.x0), sy(boundary.y1), sx(boundary.x1) - sx(boundary.x0),
                  sy(boundary.y0) - sy(boundary.y1));
  }
  if (!data || !data.X) return;
  const values = data.classes == null && data.y ? data.y.map(Number) : [];
  const low = values.length ? Math.min(...values) : 0;
  const high = values.length ? Math.max(...values) : 1;
  data.X.forEach(([x, y], i) => {
    const [r, g, b] = pointColour(data, i, low, high);
    ctx.beginPath();
    ctx.arc(sx(x), sy(y), 3, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fill();
    ctx.lineWidth = 0.8;
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  });
}

// The data point under a click at (offsetX, offsetY) of the canvas as it is shown.
export function toData(canvas, boundary, data, offsetX, offsetY) {
  const box = viewBox(boundary, data);
  const fx = offsetX / canvas.clientWidth;
  const fy = offsetY / canvas.clientHeight;
  const round = (v) => Math.round(v * 1000) / 1000;
  return [round(box.x0 + fx * (box.x1 - box.x0)), round(box.y1 - fy * (box.y1 - box.y0))];
}

// One unit's map as an image the size of its grid: blue where its output is positive,
// orange where negative, the stronger the further from 0 (`scale`: its layer's largest).
export function unitImage(map, scale) {
  return gridImage(map.length, map[0].length, (r, c) => {
    const v = Number(map[r][c]);
    if (!Number.isFinite(v)) return [255, 255, 255];
    return tint(v >= 0 ? POSITIVE : NEGATIVE, Math.min(1, Math.abs(v) / scale));
  });
}

// The largest size of a layer's outputs, which its maps' colours are scaled to.
export function layerScale(layer) {
  return Math.max(Math.abs(layer.low), Math.abs(layer.high)) || 1;
}

// What each neuron learned: a row per hidden layer, a small map per unit, titled. `label`
// names a unit for people and screen readers.
export function drawNeurons(container, neurons, label) {
  const key = neurons ? JSON.stringify([neurons.layers.map((l) => [l.node, l.low, l.high]),
                                        neurons.layers.map((l) => l.maps[0][0])]) : "";
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  container.replaceChildren();
  if (!neurons) return;
  for (const layer of neurons.layers) {
    const row = document.createElement("div");
    row.className = "neuron-layer";
    const name = document.createElement("span");
    name.className = "neuron-layer-name";
    name.textContent = layer.name;
    row.append(name);
    const scale = layerScale(layer);
    layer.maps.forEach((map, unit) => {
      const figure = document.createElement("figure");
      figure.className = "neuron";
      const canvas = document.createElement("canvas");
      canvas.width = 64;
      canvas.height = 64;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", label(layer, unit));
      canvas.dataset.unit = `${layer.name}:${unit}`;
      const image = unitImage(map, scale);
      const ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      const caption = document.createElement("figcaption");
      caption.textContent = `${layer.name}[${unit}]`;
      figure.append(canvas, caption);
      row.append(figure);
    });
    container.append(row);
  }
}
