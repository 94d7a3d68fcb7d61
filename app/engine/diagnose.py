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
    scalar = all(s == () for s in ev.shapes)
    n = len(ev.values)
    if scalar:  # one numpy call, not one per node (a big circuit is scalars)
        finite_value = np.isfinite(np.array(ev.values, dtype=float).reshape(n)).tolist()
    else:
        finite_value = [bool(np.isfinite(v).all()) for v in ev.values]
    for node in ev.graph.nodes if not all(finite_value) else ():
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
    if scalar:
        grads_finite = bool(np.isfinite(np.fromiter(
            (0.0 if g is None else float(g) for g in ev.grads), float, n)).all())
    else:
        grads_finite = all(g is None or np.isfinite(g).all() for g in ev.grads)
    for node in ev.graph.nodes if not grads_finite else ():
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
