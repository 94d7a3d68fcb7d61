"""The nudge plot: the output as one scalar input slides over a range, in one batched pass.

`sweep(ev, "x", lo, hi, points)` evaluates the graph at `points` evenly
spaced values of x (every other input held at its value) with the batched
evaluator of `app/engine/batch.py`: one pass over the graph on a stack of
x values, not one evaluation per point. With the value at the current x and
dy/dx there, the page draws the curve and its tangent.

Limits: the input and the output must be scalars (else a `shape` error), and
the input must not feed class labels (a `value` error: labels are whole numbers);
`points` is 2 to `MAX_POINTS` (1,001; default 101); the range defaults to the
current value ± max(1, 2|x|) (x and x/2 where that would overflow), and it
must be finite, as must its width. A circuit so large that the points would pass
the batch work budget (`MAX_BATCH_WORK`) gets fewer points, and says so.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.engine.batch import cost, forward_rows
from app.engine.run import Evaluation, evaluate
from app.errors import LabError
from app.lang.names import normalize

MAX_POINTS = 1_001
DEFAULT_POINTS = 101


def default_range(x0: float) -> tuple[float, float]:
    """x0 ± max(1, 2|x0|): wide enough to show the shape, and to include 0.

    Near the end of the float range, where that would overflow, x0 and x0/2.
    """
    half = max(1.0, 2.0 * abs(x0))
    lo, hi = x0 - half, x0 + half
    if math.isfinite(hi - lo):
        return lo, hi
    lo, hi = sorted((x0, x0 / 2))
    return lo, hi


def _plain(x: float) -> float | str:
    """A number for an error's args, which must be valid JSON."""
    return x if math.isfinite(x) else str(x)


def sweep(ev: Evaluation, name: str, lo: float | None = None, hi: float | None = None,
          points: int | None = None) -> dict[str, Any]:
    """xs, ys = output(xs), and the value, output and gradient at the current x.

    `name` is normalised as the language normalises names (NFKC): `ｘ` sweeps `x`.
    """
    name = normalize(name)
    graph = ev.graph
    ids = graph.input_ids
    source = graph.source
    if name not in ids:
        listed = ", ".join(f"'{n}'" for n in ids) or "none"
        raise LabError("value", f"the nudge plot sweeps an input, and '{name}' is not an input "
                       f"of this program (its inputs: {listed})", key="sweep_input",
                       info={"name": name, "inputs": list(ids)}, source=source)
    i = ids[name]
    node = graph.nodes[i]
    if ev.shapes[i] != ():
        raise LabError("shape", f"the nudge plot slides one number, and '{name}' is a tensor of "
                       f"shape {ev.shapes[i]}", node.at, key="sweep_tensor_input",
                       info={"name": name, "shape": list(ev.shapes[i])}, source=source)
    if ev.plan.analysis.labels[i]:
        raise LabError("value", f"the nudge plot slides a number smoothly, and '{name}' is used "
                       "as a class label, which must stay a whole number", node.at,
                       key="sweep_label", info={"name": name}, source=source)
    out = graph.output
    if ev.shapes[out] != ():
        raise LabError("shape", "the nudge plot draws a number against a number, and the "
                       f"output is a tensor of shape {ev.shapes[out]}", graph.nodes[out].at,
                       key="sweep_tensor_output", info={"shape": list(ev.shapes[out])},
                       source=source)
    wanted = DEFAULT_POINTS if points is None else points
    if wanted < 2:
        raise LabError("value", f"the nudge plot needs at least 2 points, not {wanted}",
                       key="sweep_points", info={"points": wanted})
    if wanted > MAX_POINTS:
        raise LabError("too_large", f"the nudge plot has at most {MAX_POINTS:,} points, not "
                       f"{wanted:,}", key="sweep_points_limit",
                       info={"points": wanted, "limit": MAX_POINTS})
    x0 = float(ev.value(i))
    if (lo is None or hi is None) and not math.isfinite(x0):
        raise LabError("value", f"'{name}' is {x0}, so the nudge plot needs an explicit "
                       "range: give from and to", node.at, key="sweep_range_needed",
                       info={"name": name}, source=source)
    dlo, dhi = default_range(x0) if math.isfinite(x0) else (0.0, 0.0)
    lo = dlo if lo is None else lo
    hi = dhi if hi is None else hi
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise LabError("value", f"the nudge plot's range must run from a smaller to a larger "
                       f"number, not from {lo} to {hi}", key="sweep_range",
                       info={"from": _plain(lo), "to": _plain(hi)})
    if not math.isfinite(hi - lo):
        raise LabError("value", f"the nudge plot's range from {lo} to {hi} is wider than a "
                       "64-bit float can hold", key="sweep_range",
                       info={"from": lo, "to": hi})
    plan = cost(ev, [i])
    n = min(wanted, plan.max_rows())
    if n < 2:
        raise LabError("too_large", "the circuit is too large for a nudge plot",
                       key="sweep_too_large", info={})
    xs = np.linspace(lo, hi, n)
    step = plan.rows_per_pass()
    ys = np.concatenate([forward_rows(ev, {i: xs[k:k + step]}, plan)
                         for k in range(0, n, step)])
    return {"input": name, "xs": xs, "ys": ys, "value": x0, "output": ev.value(out),
            "grad": _slope(ev, i), "from": lo, "to": hi, "points": n,
            "reduced": n < wanted}


def _slope(ev: Evaluation, i: int) -> Any:
    """dy/dx at the current x: the input's gradient, unless a seed other than 1 scaled it."""
    out = ev.graph.output
    if not ev.plan.requires[out] or float(ev.grads[out]) == 1.0:
        return ev.grad(i)
    graph = ev.graph
    values = {name: ev.value(j).tolist() for name, j in graph.input_ids.items()}
    return evaluate(graph, values).grad(i)
