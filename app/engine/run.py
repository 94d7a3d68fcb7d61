"""Forward and backward passes over the gate graph, on numpy arrays.

The backward pass is a plain loop in reverse topological order that adds
each gate's contribution into its inputs' gradients (the `+=` of seed 000).
To avoid paying Python's per-call overhead once per scalar gate, gates are
scheduled by level (longest distance from an input): scalar elementwise
gates of one op on one level do not depend on each other, so each such group
runs as one vectorised numpy call, forward and backward, with `np.add.at`
doing the fan-out accumulation. Everything else (tensors, reductions,
matrix products, lone scalar gates) runs one gate at a time. Every edge's
local derivative and contribution is kept, so the step trace can show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engine.bind import bind, to_array
from app.engine.shapes import Shape, infer_shapes
from app.errors import LabError
from app.graph import Graph
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY, unbroadcast

# Groups smaller than this run gate by gate: indexing costs more than it saves.
MIN_BATCH = 8


@dataclass
class _Batch:
    op: str
    outs: np.ndarray
    ins: list[np.ndarray]
    live: np.ndarray | None = None  # positions the backward pass visits, when not all


def _restrict(batch: _Batch) -> _Batch:
    """The part of a batch whose gradient matters, so dead gates add no 0·∞ = NaN."""
    if batch.live is None:
        return batch
    return _Batch(batch.op, batch.outs[batch.live], [ix[batch.live] for ix in batch.ins])


@dataclass
class Plan:
    """What runs when: per level, vectorised groups and single gates."""

    levels: list[tuple[list[_Batch], list[int]]]
    scalar: list[bool]
    requires: list[bool]
    reached: list[bool]


@dataclass
class Evaluation:
    """Every node's value and gradient, and every edge's local derivative and contribution."""

    graph: Graph
    shapes: list[Shape]
    plan: Plan
    sval: np.ndarray
    tval: dict[int, np.ndarray]
    sgrad: np.ndarray
    tgrad: dict[int, np.ndarray]
    warnings: list[str] = field(default_factory=list)
    # (node, input position) -> (local derivative or None, contribution), for single gates
    edges: dict[tuple[int, int], tuple[Any, Any]] = field(default_factory=dict)
    # (batch, input position, locals, contributions), for vectorised groups
    batch_edges: list[tuple[_Batch, int, Any, np.ndarray]] = field(default_factory=list)
    edges_ready: bool = False

    def value(self, i: int) -> np.ndarray:
        return np.asarray(self.sval[i]) if self.plan.scalar[i] else self.tval[i]

    def grad(self, i: int) -> np.ndarray | None:
        """∂output/∂node; None for constants and what depends only on constants."""
        if not self.plan.requires[i]:
            return None
        if self.plan.scalar[i]:
            return np.asarray(self.sgrad[i])
        return self.tgrad.get(i, np.zeros(self.shapes[i]))

    def edge(self, node: int, j: int) -> tuple[Any, Any]:
        """(local derivative, contribution) of the edge from input j into node."""
        if not self.edges_ready:
            self._expand_batches()
        return self.edges[(node, j)]

    def _expand_batches(self) -> None:
        for batch, j, local, contrib in self.batch_edges:
            locals_ = np.broadcast_to(np.asarray(local, dtype=float), contrib.shape)
            for k, o in enumerate(batch.outs.tolist()):
                self.edges[(o, j)] = (locals_[k], contrib[k])
        self.edges_ready = True


def schedule(graph: Graph, shapes: list[Shape]) -> Plan:
    nodes = graph.nodes
    n = len(nodes)
    scalar = [s == () for s in shapes]
    level = [0] * n
    requires = [False] * n
    groups: dict[tuple, list[int]] = {}
    singles: dict[int, list[int]] = {}
    for node in nodes:
        ins = node.inputs
        if not ins:
            requires[node.id] = node.op == "input"
            continue
        lv = 1 + max(level[i] for i in ins)
        level[node.id] = lv
        requires[node.id] = any(requires[i] for i in ins)
        op = REGISTRY[node.op]
        if op.partials is not None and scalar[node.id] and all(scalar[i] for i in ins):
            groups.setdefault((lv, node.op), []).append(node.id)
        else:
            singles.setdefault(lv, []).append(node.id)
    reached = [False] * n
    reached[graph.output] = True
    for node in reversed(nodes):
        if reached[node.id]:
            for i in node.inputs:
                reached[i] = True
    depth = max(level) if n else 0
    levels: list[tuple[list[_Batch], list[int]]] = [([], []) for _ in range(depth + 1)]
    for (lv, op_name), ids in groups.items():
        if len(ids) >= MIN_BATCH:
            arity = REGISTRY[op_name].arity
            ins = [np.array([nodes[i].inputs[j] for i in ids], dtype=np.intp)
                   for j in range(arity)]
            live = [k for k, i in enumerate(ids) if reached[i] and requires[i]]
            mask = None if len(live) == len(ids) else np.array(live, dtype=np.intp)
            levels[lv][0].append(_Batch(op_name, np.array(ids, dtype=np.intp), ins, mask))
        else:
            levels[lv][1].extend(ids)
    for lv, ids in singles.items():
        levels[lv][1].extend(ids)
    for _, ids in levels:
        ids.sort()
    return Plan(levels, scalar, requires, reached)


def evaluate(graph: Graph, values: dict[str, Any] | None = None, seed: Any = None,
             limits: Limits = DEFAULT_LIMITS) -> Evaluation:
    """Run the forward pass, then the backward pass from the output, seeded with ones."""
    bound, warnings = bind(graph, values, limits)
    shapes = infer_shapes(graph, bound, limits)
    plan = schedule(graph, shapes)
    ev = Evaluation(graph, shapes, plan, np.zeros(len(graph.nodes)), {},
                    np.zeros(len(graph.nodes)), {}, warnings)
    with np.errstate(all="ignore"):
        _forward(ev, bound)
        _backward(ev, _seed(graph, shapes, seed, limits))
    return ev


def _seed(graph: Graph, shapes: list[Shape], seed: Any, limits: Limits) -> np.ndarray:
    shape = shapes[graph.output]
    if seed is None:
        return np.ones(shape)
    arr = to_array(seed, "the seed", limits)
    if arr.shape != shape and arr.shape != ():
        raise LabError("shape", f"the seed has shape {arr.shape} but the output has shape "
                       f"{shape}", None, key="seed_shape",
                       info={"seed": list(arr.shape), "output": list(shape)})
    return np.broadcast_to(arr, shape).astype(float)


def _forward(ev: Evaluation, bound: dict[int, np.ndarray]) -> None:
    nodes = ev.graph.nodes
    scalar = ev.plan.scalar
    sval, tval = ev.sval, ev.tval
    for node in nodes:
        if node.inputs:
            continue
        value = bound[node.id] if node.op == "input" else node.default
        if scalar[node.id]:
            sval[node.id] = value
        else:
            tval[node.id] = value
    for batches, singles in ev.plan.levels[1:]:
        for b in batches:
            sval[b.outs] = REGISTRY[b.op].forward(*(sval[ix] for ix in b.ins))
        for o in singles:
            node = nodes[o]
            fwd = REGISTRY[node.op].forward
            args = [sval[i] if scalar[i] else tval[i] for i in node.inputs]
            if node.params:
                out = fwd(*args, **node.param_dict())
            else:
                out = fwd(*args)
            if scalar[o]:
                sval[o] = out
            else:
                tval[o] = np.asarray(out, dtype=float)


def _backward(ev: Evaluation, seed: np.ndarray) -> None:
    nodes = ev.graph.nodes
    plan = ev.plan
    scalar, requires, reached = plan.scalar, plan.requires, plan.reached
    sval, tval, sgrad, tgrad = ev.sval, ev.tval, ev.sgrad, ev.tgrad
    shapes = ev.shapes
    edges = ev.edges
    out = ev.graph.output
    if not requires[out]:
        return
    if scalar[out]:
        sgrad[out] = seed
    else:
        tgrad[out] = seed
    for batches, singles in reversed(plan.levels[1:]):
        for o in reversed(singles):
            if not (reached[o] and requires[o]):
                continue
            node = nodes[o]
            op = REGISTRY[node.op]
            ins = node.inputs
            if scalar[o] and op.partials is not None and all(scalar[i] for i in ins):
                g = sgrad[o]
                y = sval[o]
                xs = [sval[i] for i in ins]
                for j, i in enumerate(ins):
                    if requires[i]:
                        local = op.partials[j](y, *xs)
                        c = g * local
                        sgrad[i] += c
                        edges[(o, j)] = (local, c)
                continue
            g = sgrad[o] if scalar[o] else tgrad.get(o)
            if g is None:
                g = np.zeros(shapes[o])
            y = sval[o] if scalar[o] else tval[o]
            xs = [sval[i] if scalar[i] else tval[i] for i in ins]
            if op.partials is not None:
                locals_ = [op.partials[j](y, *xs) if requires[i] else None
                           for j, i in enumerate(ins)]
                contribs = [None if loc is None else unbroadcast(g * loc, shapes[i])
                            for loc, i in zip(locals_, ins, strict=True)]
            else:
                locals_ = [None] * len(ins)
                arrays = [np.asarray(x) for x in xs]
                contribs = list(op.vjp(g, np.asarray(y), *arrays, **node.param_dict()))
            for j, i in enumerate(ins):
                if not requires[i]:
                    continue
                c = contribs[j]
                if scalar[i]:
                    sgrad[i] += float(np.sum(c)) if np.ndim(c) else c
                else:
                    prev = tgrad.get(i)
                    tgrad[i] = np.array(c, dtype=float) if prev is None else prev + c
                edges[(o, j)] = (locals_[j], c)
        for b in map(_restrict, batches):
            op = REGISTRY[b.op]
            g = sgrad[b.outs]
            y = sval[b.outs]
            xs = [sval[ix] for ix in b.ins]
            for j, ix in enumerate(b.ins):
                local = op.partials[j](y, *xs)
                contrib = g * local
                np.add.at(sgrad, ix, contrib)
                ev.batch_edges.append((b, j, local, contrib))
