"""One step of an optimiser after a backward pass: by default gradient descent, `w ← w − r·∂out/∂w`.

Seed 004 ends its derivation with this update and seed 001 closes on gradient
descent; the page steps through it parameter by parameter. Which inputs are
parameters: the ones a request names, or by default the ones named like
weights and biases (`w1`, `W2`, `b`, `bias`, `theta`) when the program has any
— so a network's data (`X`, `y`, `i1`, `t1`) stays put — and otherwise every
input. Class labels are never parameters.

The optimiser is an entry of app/engine/optimizers.py (sgd, momentum, adam), the same
lines the trainer runs. Its state before the step (momentum's velocity, Adam's running
means) and the step's number `t` come with the request, so that a page applying one
update after another carries them along; a slot not given starts at zeros.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from app.engine.optimizers import Stepper, choose
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


def update(ev: Evaluation, lr: float, params: list[str] | None = None,
           optimizer: str = "sgd", hyper: dict[str, Any] | None = None,
           state: dict[str, dict[str, Any]] | None = None, t: int = 1) -> dict[str, Any]:
    """Each parameter's value, gradient, optimiser state and value after one step at
    learning rate `lr`: the `optimizer` with its `hyper`parameters, `state` (by parameter
    name, then slot) before step number `t`.

    Raises LabError for a parameter that is not an input, or is a class label, an
    optimiser or hyperparameter out of range, or state that does not fit its parameter.
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
    entry, hyper = choose(optimizer, hyper)
    stepper = Stepper(entry, hyper, lr)
    state = {normalize(name): slots for name, slots in (state or {}).items()}
    strays = [name for name in state if name not in chosen]
    if strays:
        raise LabError("value", f"the optimizer state names '{strays[0]}', which this step does "
                       "not update (it updates " + (", ".join(chosen) or "nothing") + ")",
                       key="update_state_param", info={"name": strays[0]})
    steps = []
    for name in chosen:
        i = ids[name]
        value = np.asarray(ev.value(i), dtype=float)
        grad = ev.grad(i)
        grad = np.zeros_like(value) if grad is None else np.asarray(grad, dtype=float)
        before = _state(stepper, name, value, state.get(name) or {})
        with np.errstate(all="ignore"):
            env = stepper.step(value, grad, before, t)
        steps.append({"name": name, "value": value, "grad": grad, "new": env["w"],
                      "state": before, "terms": stepper.terms(env)})
    data = [name for name in ids if name not in set(chosen)]
    return {"lr": lr, "params": steps, "data": data, "loss": ev.value(graph.output),
            "optimizer": {**entry.describe(hyper), "t": t}}


def _state(stepper: Stepper, name: str, value: np.ndarray,
           given: dict[str, Any]) -> dict[str, np.ndarray]:
    """A parameter's optimiser state before the step: what the request gives, zeros for
    the rest; a LabError for a slot the optimiser does not keep or of the wrong shape."""
    state = stepper.fresh(value)
    for slot, raw in given.items():
        if slot not in state:
            kept = ", ".join(stepper.slots) or "none"
            raise LabError("value", f"{stepper.entry.name} keeps no state called '{slot}' (it "
                           f"keeps: {kept})", key="update_state_slot",
                           info={"name": name, "slot": slot})
        try:
            array = np.asarray(raw, dtype=float)
        except (TypeError, ValueError):
            raise LabError("value", f"the optimizer state {slot} of '{name}' is not a number "
                           "or a list of numbers", key="update_state_value",
                           info={"name": name, "slot": slot}) from None
        if array.shape != value.shape:
            raise LabError("shape", f"the optimizer state {slot} of '{name}' has shape "
                           f"{array.shape}, and '{name}' has shape {value.shape}",
                           key="update_state_shape",
                           info={"name": name, "slot": slot, "shape": list(array.shape),
                                 "expected": list(value.shape)})
        state[slot] = array
    return state
