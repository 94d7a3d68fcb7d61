"""Evaluate a graph for a whole batch of input values in one pass (JAX's vmap idea).

Some input nodes get a stack of values with a leading batch axis (row k is
one evaluation); every gate downstream of them runs once on the whole stack
through its op's batching rule (`Op.batched`), and every other node keeps the
value the plain evaluation already computed. Only gates the output depends
on run, and a batched value is dropped after its last use, so memory is the
batch size times the widest set of live values, not times the whole graph.

The nudge plot (`app/engine/sweep.py`) and the gradient check
(`app/engine/gradcheck.py`) are both one such pass (or a few, if a batch
would not fit in memory). Their cost is bounded here:

- `MAX_BATCH_WORK`: rows × numbers the batched gates compute, per request
  feature (20,000,000). The sweep gets fewer points, the gradient check
  fewer perturbed elements, rather than going past it.
- `MAX_BATCH_MEMORY`: rows × numbers alive at once, per pass (4,000,000, or
  32 MB); a bigger batch runs in chunks of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.engine.analysis import depends
from app.engine.run import Evaluation
from app.engine.shapes import value_error
from app.ops import REGISTRY
from app.ops.registry import OpValueError

MAX_BATCH_WORK = 20_000_000
MAX_BATCH_MEMORY = 4_000_000

# observe(node, batched flags, operands): called after each batched gate runs.
Observer = Callable[[int, tuple[bool, ...], list[Any]], None]


@dataclass(frozen=True)
class Cost:
    """Per row of a batch: the gates that run, the numbers they compute, the peak alive."""

    gates: list[int]
    work: int
    peak: int

    def rows_per_pass(self) -> int:
        return max(1, MAX_BATCH_MEMORY // max(self.peak, 1))

    def max_rows(self) -> int:
        """The most rows the work budget allows."""
        return MAX_BATCH_WORK // max(self.work, 1)


def cost(ev: Evaluation, batched_inputs: list[int]) -> Cost:
    """Which gates depend on the batched inputs and reach the output (app/engine/analysis.py),
    and what they cost."""
    graph = ev.graph
    inputs = graph.inputs
    reached = ev.plan.reached
    size = [int(np.prod(s)) for s in ev.shapes]
    batched = depends(graph, batched_inputs)
    gates = [o for o, ins in enumerate(inputs) if ins and reached[o] and batched[o]]
    last = _last_uses(gates, inputs, batched)
    live = sum(size[i] for i in batched_inputs)
    peak = live
    work = 0
    for o in gates:
        live += size[o]
        work += size[o]
        peak = max(peak, live)
        for i in set(inputs[o]):
            if batched[i] and last.get(i) == o and i != graph.output:
                live -= size[i]
    return Cost(gates, work, peak)


def _last_uses(gates: list[int], inputs: list[tuple[int, ...]],
               batched: list[bool]) -> dict[int, int]:
    last: dict[int, int] = {}
    for o in gates:
        for i in inputs[o]:
            if batched[i]:
                last[i] = o
    return last


def forward_rows(ev: Evaluation, rows: dict[int, np.ndarray], plan: Cost,
                 observe: Observer | None = None) -> np.ndarray:
    """The output for every row: shape (rows, *output shape).

    `rows` maps input node ids to stacks of values (rows, *input shape); the
    other inputs keep their evaluated values. `plan` is `cost(ev, list(rows))`.
    """
    graph = ev.graph
    inputs, ops, nodes = graph.inputs, graph.ops, graph.nodes
    n_rows = len(next(iter(rows.values())))
    batched = [False] * len(graph)
    values: dict[int, Any] = {}
    for i, stack in rows.items():
        batched[i] = True
        values[i] = np.asarray(stack, dtype=float)
    for o in plan.gates:
        batched[o] = True
    last = _last_uses(plan.gates, inputs, batched)
    out = graph.output
    with np.errstate(all="ignore"):
        for o in plan.gates:
            ins = inputs[o]
            flags = tuple(batched[i] for i in ins)
            xs = [values[i] if f else ev.values[i] for i, f in zip(ins, flags, strict=True)]
            try:
                y = REGISTRY[ops[o]].batched(flags, *xs, **nodes[o].param_dict())
            except OpValueError as err:  # labels computed from a batched input
                raise value_error(graph, nodes[o], err) from None
            values[o] = np.asarray(y, dtype=float)
            if observe is not None:
                observe(o, flags, xs)
            for i in set(ins):
                if batched[i] and last.get(i) == o and i != out:
                    del values[i]
    if not batched[out]:
        value = ev.value(out)
        return np.broadcast_to(value, (n_rows, *value.shape))
    return values[out]
