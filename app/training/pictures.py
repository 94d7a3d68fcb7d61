"""A network's pictures over the plane of its two-dimensional data: the decision boundary
and what each neuron learned.

Both come from one forward pass of the compiled tape over the centres of a 64 × 64 grid
covering the data's bounding box plus 0.5, in chunks the size of the data (the shapes
the tape was compiled for):

- the decision boundary: at each cell the class with the highest score (the first input
  of the program's cross_entropy gate) and its softmax probability;
- the neuron maps, TF Playground's picture: for each hidden layer — the output of a
  one-input elementwise gate (tanh, sigmoid, relu …) that depends on the points and on
  a parameter, shaped (points, k) — each unit's output over the plane, on every other
  cell of the grid (32 × 32), at most NEURON_UNITS units in all, in program order.

A guard (app/training/guard.py) stops the work between chunks, and gives it up at once
when the first chunk shows the rest would not fit before the guard's deadline.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.engine.analysis import depends
from app.engine.shapes import Shape
from app.errors import LabError
from app.graph import Graph
from app.ops import REGISTRY
from app.ops.nn import softmax
from app.training import limits as bounds
from app.training.guard import Guard, Stop
from app.training.tape import Tape


def hidden_layers(graph: Graph, shapes: list[Shape], tape: Tape, x_node: int,
                  params: list[int], n: int) -> list[int]:
    """The nodes whose units get a map: activations of the points, shaped (n, k)."""
    from_x = depends(graph, [x_node])
    from_params = depends(graph, params)
    layers = []
    units = 0
    for o, op in enumerate(graph.ops):
        if op in ("input", "const") or tape.values[o] is None:
            continue
        entry = REGISTRY[op]
        shape = shapes[o]
        if not (entry.arity == 1 and entry.elementwise and from_x[o] and from_params[o]
                and len(shape) == 2 and shape[0] == n and shape[1] >= 1):
            continue
        if units + shape[1] > bounds.NEURON_UNITS:
            break
        layers.append(o)
        units += shape[1]
    return layers


class Pictures:
    """The boundary and neuron maps of a compiled network, for its data `X` (n × 2)."""

    def __init__(self, graph: Graph, tape: Tape, X: np.ndarray, x_node: int,
                 scores: int | None, layers: list[int]) -> None:
        self.graph = graph
        self.tape = tape
        self.X = X
        self.x_node = x_node
        self.scores = scores
        self.layers = layers
        self.estimate = 0.0  # what the last drawing was expected to take, from its first chunk

    @property
    def drawable(self) -> bool:
        return self.X.ndim == 2 and self.X.shape[1] == 2 and bool(
            self.scores is not None or self.layers)

    def draw(self, guard: Guard | None = None, slow: bool = False,
             size: int = bounds.BOUNDARY_SIZE) -> tuple[dict[str, Any] | None,
                                                         dict[str, Any] | None]:
        """(boundary, neurons): each None where there is nothing to draw, and both None when
        `guard` stops the work (its flag, or a deadline the first chunk shows it cannot
        meet). `slow`: a forward pass is long, so the guard is asked between its steps too."""
        if not self.drawable:
            return None, None
        x0, y0 = (self.X.min(axis=0) - 0.5).tolist()
        x1, y1 = (self.X.max(axis=0) + 0.5).tolist()
        xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
        ys = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
        gx, gy = np.meshgrid(xs, ys)
        points = np.c_[gx.ravel(), gy.ravel()]
        nodes = ([] if self.scores is None else [self.scores]) + self.layers
        try:
            outputs = self._predict(points, nodes, guard, slow)
        except (LabError, ValueError, IndexError, Stop):
            return None, None
        if outputs is None:
            return None, None
        box = {"x0": x0, "x1": x1, "y0": y0, "y1": y1}
        boundary = None
        if self.scores is not None:
            boundary = _boundary(outputs.pop(0), box, size)
        neurons = _neurons(self.graph, self.layers, outputs, box, size) if self.layers else None
        return boundary, neurons

    def _predict(self, points: np.ndarray, nodes: list[int], guard: Guard | None,
                 slow: bool) -> list[np.ndarray] | None:
        """The nodes' values at other points, in chunks the size of the data."""
        n = len(self.X)
        chunks = -(-len(points) // n)
        inner = guard.check if guard is not None and slow else None
        began = guard.clock() if guard is not None else 0.0
        out: list[list[np.ndarray]] = [[] for _ in nodes]
        with np.errstate(all="ignore"):
            for start in range(0, len(points), n):
                chunk = points[start:start + n]
                rows = len(chunk)
                if rows < n:  # pad the last chunk: every shape as in training
                    chunk = np.concatenate([chunk, np.repeat(chunk[:1], n - rows, axis=0)])
                values = self.tape.evaluate_many(nodes, {self.x_node: chunk}, inner)
                for j, value in enumerate(values):
                    value = np.asarray(value)
                    if value.ndim != 2 or len(value) != n:
                        return None
                    out[j].append(value[:rows])
                if guard is not None:
                    if start == 0:
                        self.estimate = (guard.clock() - began) * chunks
                        if self.estimate > guard.left() + (guard.clock() - began):
                            raise Stop("time_limit")
                    guard.check()
        return [np.concatenate(parts) for parts in out]


def _boundary(scores: np.ndarray, box: dict[str, float], size: int) -> dict[str, Any]:
    """`grid[r][c]`: the class predicted at the centre of cell (r, c), x growing with c from
    x0 to x1 and y with r from y0 to y1 (row 0 at the bottom); `confidence` its softmax
    probability (3 decimals)."""
    with np.errstate(all="ignore"):
        probs = softmax(scores)
    classes = np.argmax(scores, axis=-1)
    confidence = np.round(np.max(probs, axis=-1), 3)
    return {**box, "size": size, "grid": classes.reshape(size, size).tolist(),
            "confidence": confidence.reshape(size, size)}


def _neurons(graph: Graph, layers: list[int], values: list[np.ndarray],
             box: dict[str, float], size: int) -> dict[str, Any]:
    """Each layer's units over the plane on every other cell of the grid: cell (r, c) of
    a map is cell (2r + 1, 2c + 1) of the boundary's grid."""
    out = []
    for k, (node, value) in enumerate(zip(layers, values, strict=True)):
        grid = value.reshape(size, size, -1)[1::2, 1::2]
        maps = np.round(np.moveaxis(grid, -1, 0), 3)
        finite = maps[np.isfinite(maps)]
        out.append({
            "node": graph.nodes[node].key,
            "name": graph.nodes[node].name or f"{graph.ops[node]} {k + 1}",
            "units": int(maps.shape[0]),
            "low": float(finite.min()) if finite.size else 0.0,
            "high": float(finite.max()) if finite.size else 0.0,
            "maps": maps,
        })
    return {**box, "size": size // 2, "layers": out}
