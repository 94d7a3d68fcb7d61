"""The step trace: the order a learner watches, and what each backward step did.

Forward steps visit every node in topological order. Backward steps visit
every gate the output depends on, in reverse, and list for each input edge
the upstream gradient, the local derivative, their product and the running
sum on the receiving node, marking a `+=` where a value fans out.
"""

from __future__ import annotations

import math
from itertools import chain
from typing import Any

import numpy as np

from app.engine.run import Evaluation
from app.graph import Graph
from app.ops import REGISTRY


def forward_steps(ev: Evaluation) -> list[dict[str, Any]]:
    return [{"phase": "forward", "node": node.key} for node in ev.graph.nodes]


def backward_steps(ev: Evaluation) -> list[dict[str, Any]]:
    """Every gate the output depends on, from the output back, with its input edges."""
    steps: list[dict[str, Any]] = []
    if not ev.plan.requires[ev.graph.output]:
        return steps
    with np.errstate(all="ignore"):  # ∞ + ∞ is ∞ here, not a warning in the log
        _backward_steps(ev, steps)
    return steps


def _backward_steps(ev: Evaluation, steps: list[dict[str, Any]]) -> None:
    """backward_steps' loop, appending to `steps`; numpy's warnings are off around it."""
    nodes = ev.graph.nodes
    plan = ev.plan
    out = ev.graph.output
    running: dict[int, Any] = {}
    for node in reversed(nodes):
        o = node.id
        if not (plan.reached[o] and plan.requires[o]) or (not node.inputs and o != out):
            continue
        grad = ev.grad(o)
        step: dict[str, Any] = {"phase": "backward", "node": node.key, "grad": grad}
        if o == out:
            step["seed"] = True
        edges = []
        for j, i in enumerate(node.inputs):
            if not plan.requires[i]:
                continue
            local, product = ev.edge(o, j)
            accumulate = i in running
            if accumulate:
                running[i] = np.add(running[i], product)
            else:
                running[i] = product
            edge = {
                "input": nodes[i].key,
                "position": j,
                "upstream": grad,
                "local": local,
                "product": product,
                "sum": running[i],
                "accumulate": accumulate,
                "formula": REGISTRY[node.op].formulas[j],
            }
            factors = _factors(ev, o, j)
            if factors is not None:
                edge["factors"] = factors
            edges.append(edge)
        step["edges"] = edges
        steps.append(step)


def _factors(ev: Evaluation, o: int, j: int) -> list[float] | None:
    """The numbers whose product is a scalar gate's local derivative for input j
    (σ(1) and 1 − σ(1) for σ at 1), where its op says what they are."""
    node = ev.graph.nodes[o]
    rules = REGISTRY[node.op].factors
    rule = rules[j] if rules else None
    if rule is None or np.ndim(ev.value(o)) != 0:
        return None
    parts = rule(ev.value(o), *(ev.value(i) for i in node.inputs))  # warnings off: the caller
    return [float(x) for x in parts]


# A tensor of the step trace is written out in full up to this many numbers (what the page
# draws as a grid, 8×8); a larger one is a reference to the node holding the same numbers,
# or only its shape, unless the request asks for the full trace.
TRACE_INLINE = 64


def answer_numbers(graph: Graph, shapes: list[tuple[int, ...]], full_trace: bool = False,
                   limit: int | None = None) -> tuple[int, int | None]:
    """An upper bound, from the shapes alone, on the numbers an answer holds — every node's
    value and gradient, and per backward edge its upstream gradient, local derivative
    (elementwise gates), product and running sum — and the first node, in program order,
    at which the count passes `limit` (None if it never does)."""
    n = len(shapes)
    scalar = all(s == () for s in shapes)
    sizes = np.ones(n, dtype=np.int64) if scalar else np.array(
        [math.prod(s) for s in shapes], dtype=np.int64).reshape(n)
    written = sizes if full_trace else np.where(sizes <= TRACE_INLINE, sizes, 0)
    factor = {name: 2 if op.partials is not None else 1 for name, op in REGISTRY.items()}
    inputs = graph.inputs
    arity = np.fromiter(map(len, inputs), np.int64, n)
    src = np.fromiter(chain.from_iterable(inputs), np.int64, int(arity.sum()))
    per_input = np.bincount(np.repeat(np.arange(n), arity), weights=2 * written[src],
                            minlength=n).astype(np.int64) if len(src) else np.zeros(n, np.int64)
    # a gate: its size written once per input as the upstream gradient (twice with a local
    # derivative, for elementwise ops) and once as the product, plus each input's sum
    gate = np.array([factor.get(op, 1) for op in graph.ops], dtype=np.int64) * written + written
    each = 2 * sizes + arity * gate + per_input
    running = np.cumsum(each)
    count = int(running[-1]) if n else 0
    over = None
    if limit is not None and count > limit:
        over = int(np.argmax(running > limit))
    return count, over


def steps(ev: Evaluation) -> list[dict[str, Any]]:
    """Forward then backward steps, as the page plays them."""
    return forward_steps(ev) + backward_steps(ev)
