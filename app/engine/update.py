"""One step of gradient descent after a backward pass: `w ← w − r·∂out/∂w`.

Seed 004 ends its derivation with this update and seed 001 closes on gradient
descent; the page steps through it parameter by parameter. Which inputs are
parameters: the ones a request names, or by default the ones named like
weights and biases (`w1`, `W2`, `b`, `bias`, `theta`) when the program has any
— so a network's data (`X`, `y`, `i1`, `t1`) stays put — and otherwise every
input. Class labels are never parameters.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from app.engine.run import Evaluation
from app.errors import LabError
from app.lang.names import normalize

PARAMETER_NAME = re.compile(r"(?:[wWbB]|theta|weights?|bias(?:es)?)(?:[_0-9].*)?")


def default_params(ev: Evaluation) -> list[str]:
    """The inputs a learner would train: weights and biases by name, else all of them."""
    labels = ev.plan.analysis.labels
    names = [name for name, i in ev.graph.input_ids.items() if not labels[i]]
    named = [name for name in names if PARAMETER_NAME.fullmatch(name)]
    return named or names


def update(ev: Evaluation, lr: float, params: list[str] | None = None) -> dict[str, Any]:
    """Each parameter's value, gradient and value after one step at learning rate `lr`.

    Raises LabError for a parameter that is not an input, or is a class label.
    """
    graph = ev.graph
    ids = graph.input_ids
    if not math.isfinite(lr):
        raise LabError("value", f"the learning rate must be a finite number, not {lr}",
                       key="update_lr", info={"lr": str(lr)})
    # Names as the language knows them (NFKC): `ｗ` is the parameter `w`.
    chosen = (default_params(ev) if params is None
              else list(dict.fromkeys(normalize(p) for p in params)))
    unknown = [name for name in chosen if name not in ids]
    if unknown:
        listed = ", ".join(f"'{n}'" for n in ids) or "none"
        raise LabError("value", f"only inputs can be trained, and {', '.join(map(repr, unknown))} "
                       f"{'is not an input' if len(unknown) == 1 else 'are not inputs'} of this "
                       f"program (its inputs: {listed})", key="update_param",
                       info={"names": unknown, "inputs": list(ids)}, source=graph.source)
    labels = ev.plan.analysis.labels
    for name in chosen:
        if labels[ids[name]]:
            raise LabError("value", f"'{name}' is used as a class label, which is data, not a "
                           "parameter: it must stay a whole number", graph.nodes[ids[name]].at,
                           key="update_label", info={"name": name}, source=graph.source)
    steps = []
    for name in chosen:
        i = ids[name]
        value = np.asarray(ev.value(i), dtype=float)
        grad = ev.grad(i)
        grad = np.zeros_like(value) if grad is None else np.asarray(grad, dtype=float)
        steps.append({"name": name, "value": value, "grad": grad, "new": value - lr * grad})
    data = [name for name in ids if name not in set(chosen)]
    return {"lr": lr, "params": steps, "data": data, "loss": ev.value(graph.output)}
