"""Plain-language warnings where a value or a gradient stops being a finite number.

A NaN or ∞ is reported once, on the gate where it first appears, not on
every gate downstream that merely carries it on.
"""

from __future__ import annotations

import numpy as np

from app.engine.run import Evaluation
from app.ops import REGISTRY


def _kind(x: np.ndarray) -> str:
    return "NaN (not a number)" if np.isnan(x).any() else "infinite"


def node_warnings(ev: Evaluation) -> dict[int, list[str]]:
    """Warnings keyed by node id."""
    out: dict[int, list[str]] = {}
    nodes = ev.graph.nodes
    finite_value = [bool(np.isfinite(v).all()) for v in ev.values]
    for node in nodes:
        i = node.id
        if finite_value[i]:
            continue
        if node.op in ("input", "const"):
            out.setdefault(i, []).append(f"this {node.op} is {_kind(ev.value(i))}")
        elif all(finite_value[j] for j in node.inputs):
            op = REGISTRY[node.op]
            hint = op.domain or "the result is too large for a 64-bit float (over about 1.8e308)"
            out.setdefault(i, []).append(
                f"{node.label} gave a value that is {_kind(ev.value(i))}: {hint}")
    grads_finite = all(g is None or np.isfinite(g).all() for g in ev.grads)
    for node in nodes if not grads_finite else ():
        o = node.id
        if not node.inputs or not (ev.plan.reached[o] and ev.plan.requires[o]):
            continue
        grad = ev.grad(o)
        if grad is None or not np.isfinite(grad).all():
            continue
        for j, i in enumerate(node.inputs):
            if not ev.plan.requires[i]:
                continue
            _, contrib = ev.edge(o, j)
            if not np.isfinite(contrib).all():
                op = REGISTRY[node.op]
                out.setdefault(o, []).append(
                    f"the gradient sent back to input {j + 1} is {_kind(np.asarray(contrib))}: "
                    f"the local derivative {op.formulas[j]} is not finite here")
    return out
