"""Forward and backward passes over the gate graph, on numpy values.

The backward pass is a plain loop in reverse topological order that adds
each gate's contribution into its inputs' gradients (the `+=` of seed 000).

To avoid paying Python's per-call overhead once per scalar gate, gates are
scheduled by level (longest distance from an input): scalar elementwise
gates of one op on one level do not depend on each other, so each such
group of at least MIN_BATCH gates runs as one vectorised numpy call, forward
and backward. Everything else (tensors, reductions, matrix products, lone
scalar gates) runs one gate at a time. Values and gradients live in plain
lists (numpy scalars or arrays), which is the cheapest storage for the
gate-at-a-time path; numpy scalars keep IEEE semantics (1/0 is ∞, not an
exception). Every edge's local derivative and contribution can be read back
for the step trace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np

from app.engine.analysis import Analysis
from app.engine.bind import bind, to_array
from app.engine.shapes import Shape, infer_shapes, value_error
from app.errors import LabError
from app.graph import Graph
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY, unbroadcast
from app.ops.registry import OpValueError

# Groups smaller than this run gate by gate: gathering costs more than it saves.
MIN_BATCH = 8
ZERO = np.float64(0.0)


@dataclass
class Batch:
    """Scalar gates of one op on one level: outputs and, per input position, input ids."""

    op: str
    outs: np.ndarray
    ins: list[np.ndarray]
    live: np.ndarray | None = None  # positions the backward pass visits, when not all

    def restrict(self) -> Batch:
        """The part whose gradient matters, so dead gates add no 0·∞ = NaN."""
        if self.live is None:
            return self
        return Batch(self.op, self.outs[self.live], [ix[self.live] for ix in self.ins])


@dataclass
class Plan:
    """What runs in which order: `tasks` holds node ids (one gate) and ~k (batch k)."""

    tasks: list[int]
    batches: list[Batch]
    scalar: list[bool]
    fast: list[bool]  # a scalar elementwise gate whose inputs are scalars
    requires: list[bool]  # depends on an input, so has a gradient
    reached: list[bool]  # the output depends on it
    analysis: Analysis  # which nodes matter (the two lists above are its own)


@dataclass
class Evaluation:
    """Every node's value and gradient, and every edge's local derivative and contribution."""

    graph: Graph
    shapes: list[Shape]
    plan: Plan
    values: list[Any]
    grads: list[Any]
    warnings: list[str] = field(default_factory=list)
    # (node, input position) -> (local derivative or None, contribution), for tensor gates
    edges: dict[tuple[int, int], tuple[Any, Any]] = field(default_factory=dict)
    # (batch, input position, locals, contributions), for vectorised groups
    batch_edges: list[tuple[Batch, int, Any, np.ndarray]] = field(default_factory=list)
    edges_ready: bool = False

    def value(self, i: int) -> np.ndarray:
        return np.asarray(self.values[i], dtype=float)

    def grad(self, i: int) -> np.ndarray | None:
        """∂output/∂node; None for constants and what depends only on constants."""
        if not self.plan.requires[i]:
            return None
        g = np.asarray(self.grads[i], dtype=float)
        return g if g.shape == self.shapes[i] else np.broadcast_to(g, self.shapes[i])

    def edge(self, node: int, j: int) -> tuple[Any, Any]:
        """(local derivative, contribution) of the edge from input j into node."""
        if not self.edges_ready:
            for batch, k, local, contrib in self.batch_edges:
                locals_ = np.broadcast_to(np.asarray(local, dtype=float), contrib.shape)
                for pos, o in enumerate(batch.outs.tolist()):
                    self.edges[(o, k)] = (locals_[pos], contrib[pos])
            self.edges_ready = True
        found = self.edges.get((node, j))
        if found is not None:
            return found
        # A lone scalar gate: the engine did not keep it; the same arithmetic gives it again.
        gate = self.graph.nodes[node]
        xs = [self.values[i] for i in gate.inputs]
        partials = REGISTRY[gate.op].partials
        assert partials is not None, gate.op  # a lone gate kept nothing only if elementwise
        with np.errstate(all="ignore"):
            local = partials[j](self.values[node], *xs)
            return local, self.grad(node) * local


def schedule(graph: Graph, shapes: list[Shape]) -> Plan:
    """Levels, which gates need gradients, which reach the output (app/engine/analysis.py),
    and the batches."""
    n = len(graph)
    inputs = graph.inputs
    names = graph.ops
    scalar = [s == () for s in shapes]
    facts = Analysis(graph)
    level, requires, reached = facts.level, facts.requires, facts.reached
    elementwise = {name for name, op in REGISTRY.items() if op.partials is not None}
    fast_mask = np.fromiter(map(elementwise.__contains__, names), bool, n)
    if not all(scalar):  # fast gates: scalar elementwise gates with scalar inputs
        fast_mask &= np.array([scalar[o] and all(scalar[i] for i in ins)
                               for o, ins in enumerate(inputs)], dtype=bool)
    fast = fast_mask.tolist()
    batches = _batches(np.flatnonzero(fast_mask), names, inputs, level, reached, requires)
    if not batches:
        tasks = [o for o in range(n) if inputs[o]]
        return Plan(tasks, batches, scalar, fast, requires, reached, facts)
    batched = np.zeros(n, dtype=bool)
    per_level: dict[int, list[int]] = {}
    for k, batch in enumerate(batches):
        batched[batch.outs] = True
        per_level.setdefault(level[int(batch.outs[0])], []).append(~k)
    is_batched = batched.tolist()
    for o in range(n):
        if inputs[o] and not is_batched[o]:
            per_level.setdefault(level[o], []).append(o)
    tasks = [t for lv in sorted(per_level) for t in per_level[lv]]
    return Plan(tasks, batches, scalar, fast, requires, reached, facts)


def _batches(fast_ids: np.ndarray, names: list[str], inputs: list[tuple[int, ...]],
             level: list[int], reached: list[bool], requires: list[bool]) -> list[Batch]:
    """Group fast gates by (level, op); groups of MIN_BATCH or more become batches."""
    if len(fast_ids) < MIN_BATCH:
        return []
    ids_list = fast_ids.tolist()
    codes = {name: k for k, name in enumerate(REGISTRY)}
    lv = np.array(level, dtype=np.intp)[fast_ids]
    oc = np.fromiter(map(codes.__getitem__, map(names.__getitem__, ids_list)), np.intp,
                     len(ids_list))
    gates = list(map(inputs.__getitem__, ids_list))
    first = np.fromiter(map(itemgetter(0), gates), np.intp, len(gates))
    second = np.fromiter(map(itemgetter(-1), gates), np.intp, len(gates))
    live = (np.array(reached, dtype=bool) & np.array(requires, dtype=bool))[fast_ids]
    order = np.lexsort((fast_ids, oc, lv))
    ids, lv, oc = fast_ids[order], lv[order], oc[order]
    first, second, live = first[order], second[order], live[order]
    cut = np.flatnonzero((np.diff(lv) != 0) | (np.diff(oc) != 0)) + 1
    bounds = [0, *cut.tolist(), len(ids)]
    ops = list(REGISTRY)
    batches = []
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        if stop - start < MIN_BATCH:
            continue
        op = REGISTRY[ops[int(oc[start])]]
        ins = [first[start:stop], second[start:stop]][:op.arity]
        mask = live[start:stop]
        batches.append(Batch(op.name, ids[start:stop], ins,
                             None if mask.all() else np.flatnonzero(mask)))
    return batches


class Cancelled(Exception):
    """The request was given up (its client went away): stop computing for it."""


class Cancel:
    """A flag another thread may raise; long loops look at it every CHECK_EVERY gates."""

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


CHECK_EVERY = 512
# Called with the graph and every node's shape once they are known, before any number is
# computed: where a caller refuses a circuit whose answer would be too large.
Budget = Callable[[Graph, list[Shape]], None]


def evaluate(graph: Graph, values: dict[str, Any] | None = None, seed: Any = None,
             limits: Limits = DEFAULT_LIMITS, budget: Budget | None = None,
             cancel: Cancel | None = None) -> Evaluation:
    """Run the forward pass, then the backward pass from the output, seeded with ones."""
    bound, warnings = bind(graph, values, limits)
    shapes = infer_shapes(graph, bound, limits)
    if budget is not None:
        budget(graph, shapes)
    plan = schedule(graph, shapes)
    n = len(graph)
    ev = Evaluation(graph, shapes, plan, [ZERO] * n, [ZERO] * n, warnings)
    with np.errstate(all="ignore"):
        _forward(ev, bound, cancel)
        _backward(ev, _seed(graph, shapes, seed, limits), cancel)
    return ev


def _seed(graph: Graph, shapes: list[Shape], seed: Any, limits: Limits) -> Any:
    """The output's upstream gradient: a numpy scalar for a scalar output, else an array."""
    shape = shapes[graph.output]
    if seed is None:
        return np.float64(1.0) if shape == () else np.ones(shape)
    arr = to_array(seed, "the seed", limits)
    if arr.shape != shape and arr.shape != ():
        raise LabError("shape", f"the seed has shape {arr.shape} but the output has shape "
                       f"{shape}", None, key="seed_shape",
                       info={"seed": list(arr.shape), "output": list(shape)})
    return np.float64(arr) if shape == () else np.broadcast_to(arr, shape).astype(float)


def _gather(values: list[Any], ids: np.ndarray) -> np.ndarray:
    return np.fromiter(map(values.__getitem__, ids.tolist()), dtype=float, count=len(ids))


def _forward(ev: Evaluation, bound: dict[int, np.ndarray], cancel: Cancel | None = None) -> None:
    graph = ev.graph
    plan = ev.plan
    scalar, fast = plan.scalar, plan.fast
    values = ev.values
    ops, inputs = graph.ops, graph.inputs
    for i, default in enumerate(graph.defaults):
        if not inputs[i]:
            value = bound[i] if ops[i] == "input" else default
            values[i] = np.float64(value) if scalar[i] else value
    forward = {name: op.forward for name, op in REGISTRY.items()}
    batches = plan.batches
    for k, t in enumerate(plan.tasks):
        if cancel is not None and not k % CHECK_EVERY:
            cancel.check()
        if t < 0:
            b = batches[~t]
            out = forward[b.op](*(_gather(values, ix) for ix in b.ins))
            for o, v in zip(b.outs.tolist(), out, strict=True):
                values[o] = v
            continue
        ins = inputs[t]
        if fast[t]:
            if len(ins) == 2:
                values[t] = forward[ops[t]](values[ins[0]], values[ins[1]])
            else:
                values[t] = forward[ops[t]](values[ins[0]])
            continue
        try:
            out = forward[ops[t]](*[values[i] for i in ins], **graph.nodes[t].param_dict())
        except OpValueError as err:
            raise value_error(graph, graph.nodes[t], err) from None
        values[t] = np.float64(out) if scalar[t] else np.asarray(out, dtype=float)


def _backward(ev: Evaluation, seed: Any, cancel: Cancel | None = None) -> None:
    ops, inputs = ev.graph.ops, ev.graph.inputs
    plan = ev.plan
    fast, requires, reached = plan.fast, plan.requires, plan.reached
    values, grads = ev.values, ev.grads
    out = ev.graph.output
    if not requires[out]:
        return
    grads[out] = seed
    partials: dict[str, Any] = {name: op.partials for name, op in REGISTRY.items()}
    batches = plan.batches
    # Vectorised groups add into `pending` with np.add.at; single gates add into `grads`.
    # A node's gradient is the sum of both, merged at the end.
    pending: Any = np.zeros(len(grads)) if batches else None
    for k, t in enumerate(reversed(plan.tasks)):
        if cancel is not None and not k % CHECK_EVERY:
            cancel.check()
        if t < 0:
            b = batches[~t].restrict()
            parts = partials[b.op]
            g = pending[b.outs] + _gather(grads, b.outs)
            y = _gather(values, b.outs)
            xs = [_gather(values, ix) for ix in b.ins]
            for j, ix in enumerate(b.ins):
                local = parts[j](y, *xs)
                contrib = g * local
                np.add.at(pending, ix, contrib)
                ev.batch_edges.append((b, j, local, contrib))
            continue
        if not (reached[t] and requires[t]):
            continue
        if pending is not None and pending[t]:
            grads[t] = grads[t] + pending[t]
            pending[t] = 0.0
        ins = inputs[t]
        if fast[t]:
            parts = partials[ops[t]]
            g = grads[t]
            y = values[t]
            if len(ins) == 2:
                a, b_ = ins
                xa, xb = values[a], values[b_]
                if requires[a]:
                    grads[a] += g * parts[0](y, xa, xb)
                if requires[b_]:
                    grads[b_] += g * parts[1](y, xa, xb)
            else:
                a = ins[0]
                if requires[a]:
                    grads[a] += g * parts[0](y, values[a])
            continue
        _backward_general(ev, t)
    if pending is not None:
        for i in np.flatnonzero(pending).tolist():
            grads[i] = grads[i] + pending[i]


def _backward_general(ev: Evaluation, o: int) -> None:
    """One gate with tensors on either side: unbroadcast partials, or the op's vjp."""
    node = ev.graph.nodes[o]
    op = REGISTRY[node.op]
    plan = ev.plan
    scalar, requires = plan.scalar, plan.requires
    ins = node.inputs
    g = ev.grad(o)
    y = ev.value(o)
    xs = [ev.value(i) for i in ins]
    partials, vjp = op.partials, op.vjp
    locals_: list[Any]
    contribs: list[Any]
    if partials is not None:
        locals_ = [partials[j](y, *xs) if requires[i] else None for j, i in enumerate(ins)]
        contribs = [None if loc is None else unbroadcast(g * loc, ev.shapes[i])
                    for loc, i in zip(locals_, ins, strict=True)]
    else:
        assert vjp is not None, op.name  # an op has partials or a vjp (Op.__post_init__)
        locals_ = [None] * len(ins)
        contribs = list(vjp(g, y, *xs, **node.param_dict()))
    for j, i in enumerate(ins):
        if not requires[i]:
            continue
        c = contribs[j]
        ev.grads[i] = ev.grads[i] + (np.float64(np.sum(c)) if scalar[i] else c)
        ev.edges[(o, j)] = (locals_[j], c)
