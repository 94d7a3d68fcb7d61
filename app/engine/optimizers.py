"""Optimisers: one declarative entry each, their formulas written once.

An entry names its hyperparameters (default, bounds, the symbol the page writes),
its state (arrays the shape of the parameter, zeros before the first step) and its
update as lines run in order. A line sets one name from names known before it:

    w   the parameter          g   its gradient         r   the learning rate
    t   the number of this step (1 for the first)       the hyperparameters by name
    the state before the step, by slot                  the lines above it

The last line sets `w`, the parameter's new value; the state after the step is what
the lines set the slots to. Each line also carries its formula as a template over
those names in braces, which the page writes out twice, in symbols and in numbers:
`v ← μ·v − r·g = 0.9 × 0 − 0.5 × 0.0822 = −0.0411`.

- sgd: w ← w − r·g
- momentum: v ← μ·v − r·g; w ← w + v (the velocity form; PyTorch's SGD with momentum
  keeps v/(−r) instead, the same steps for a fixed r)
- adam: m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g²; m̂ = m/(1 − β₁ᵗ);
  v̂ = v/(1 − β₂ᵗ); w ← w − r·m̂/(√v̂ + ε) (Kingma and Ba's Algorithm 1)

The one-step update of POST /api/graph (app/engine/update.py) and the trainer
(app/training/trainer.py) both step with `Stepper`, so the page's update phase and a
training run compute exactly the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import LabError


@dataclass(frozen=True, slots=True)
class Hyper:
    """A hyperparameter: its default and the range it must lie in (low ≤ x < high)."""

    name: str
    symbol: str
    default: float
    low: float
    high: float
    description: str
    low_open: bool = False  # low < x, not low ≤ x


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an update: `name` ← fn(*args), written `formula`."""

    name: str
    args: tuple[str, ...]
    fn: Callable[..., Any]
    formula: str


@dataclass(frozen=True, slots=True)
class Optimizer:
    name: str
    description: str
    hyper: tuple[Hyper, ...]
    state: tuple[str, ...]  # the slots kept between steps
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        known = {"w", "g", "r", "t", *self.state, *(h.name for h in self.hyper)}
        for line in self.lines:
            assert set(line.args) <= known, (self.name, line.name, set(line.args) - known)
            known.add(line.name)
        assert self.lines[-1].name == "w", self.name
        assert set(self.state) <= {line.name for line in self.lines}, self.name

    def catalogue(self) -> dict[str, Any]:
        """Its entry of GET /api/optimizers."""
        return {"name": self.name, "description": self.description,
                "hyper": [{"name": h.name, "symbol": h.symbol, "default": h.default,
                           "low": h.low, "high": h.high, "low_open": h.low_open,
                           "description": h.description} for h in self.hyper],
                "state": list(self.state),
                "lines": [{"name": line.name, "formula": line.formula} for line in self.lines],
                "symbols": {**SYMBOLS, **{h.name: h.symbol for h in self.hyper}}}

    def describe(self, hyper: dict[str, float]) -> dict[str, Any]:
        """What the page needs to write the update out: the lines' formulas, the symbols,
        the hyperparameters' values."""
        return {"name": self.name, "hyper": dict(hyper), "state": list(self.state),
                "lines": [{"name": line.name, "formula": line.formula} for line in self.lines],
                "symbols": {**SYMBOLS, **{h.name: h.symbol for h in self.hyper}}}


# How the page writes the names every optimiser shares (the parameter's own name and its
# gradient's are filled in by the page: w5, ∂E/∂w5).
SYMBOLS = {"r": "r", "t": "t", "m": "m", "v": "v", "mhat": "m̂", "vhat": "v̂"}

MU = Hyper("mu", "μ", 0.9, 0.0, 1.0, "the momentum: the share of the last step kept")
BETA1 = Hyper("beta1", "β₁", 0.9, 0.0, 1.0, "the decay of the gradients' running mean m")
BETA2 = Hyper("beta2", "β₂", 0.999, 0.0, 1.0, "the decay of the squared gradients' running "
              "mean v")
EPS = Hyper("eps", "ε", 1e-8, 0.0, 1.0, "added to √v̂ so that a step never divides by zero",
            low_open=True)

OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("sgd", "gradient descent: a step down the gradient", (), (), (
        Line("w", ("w", "r", "g"), lambda w, r, g: w - r * g, "{w} − {r}·{g}"),
    )),
    Optimizer("momentum", "gradient descent with momentum: the velocity v remembers the "
              "steps before", (MU,), ("v",), (
        Line("v", ("mu", "v", "r", "g"), lambda mu, v, r, g: mu * v - r * g,
             "{mu}·{v} − {r}·{g}"),
        Line("w", ("w", "v"), lambda w, v: w + v, "{w} + {v}"),
    )),
    Optimizer("adam", "Adam: steps scaled by running means of the gradient (m) and of its "
              "square (v), corrected for their start at zero", (BETA1, BETA2, EPS),
              ("m", "v"), (
        Line("m", ("beta1", "m", "g"), lambda beta1, m, g: beta1 * m + (1 - beta1) * g,
             "{beta1}·{m} + (1 − {beta1})·{g}"),
        Line("v", ("beta2", "v", "g"), lambda beta2, v, g: beta2 * v + (1 - beta2) * g * g,
             "{beta2}·{v} + (1 − {beta2})·{g}²"),
        Line("mhat", ("m", "beta1", "t"), lambda m, beta1, t: m / (1 - beta1 ** t),
             "{m} / (1 − {beta1}^{t})"),
        Line("vhat", ("v", "beta2", "t"), lambda v, beta2, t: v / (1 - beta2 ** t),
             "{v} / (1 − {beta2}^{t})"),
        Line("w", ("w", "r", "mhat", "vhat", "eps"),
             lambda w, r, mhat, vhat, eps: w - r * mhat / (np.sqrt(vhat) + eps),
             "{w} − {r}·{mhat} / (√{vhat} + {eps})"),
    )),
)}
NAMES = tuple(OPTIMIZERS)


def choose(name: str = "sgd", given: dict[str, Any] | None = None,
           where: str = "optimizer") -> tuple[Optimizer, dict[str, float]]:
    """The entry called `name` and its hyperparameters: the defaults, then `given` (a
    name the entry does not take is ignored). A LabError (400 `value`, key
    `optimizer_bound`) for an unknown optimiser or a value out of its range."""
    entry = OPTIMIZERS.get(name)
    if entry is None:
        raise LabError("value", f"no optimizer called {name!r}; there are " + ", ".join(NAMES),
                       key="optimizer_unknown", info={"name": name, "names": list(NAMES)})
    given = given or {}
    hyper = {}
    for h in entry.hyper:
        value = given.get(h.name)
        value = h.default if value is None else float(value)
        above = value > h.low if h.low_open else value >= h.low
        if not (math.isfinite(value) and above and value < h.high):
            low = "above" if h.low_open else "from"
            raise LabError("value", f"{h.name} ({h.symbol}) of {name} is a number {low} "
                           f"{h.low:g} and below {h.high:g}, not {value:g}",
                           key="optimizer_bound", info={"where": f"{where}.{h.name}",
                                                        "name": h.name, "value": value})
        hyper[h.name] = value
    return entry, hyper


class Stepper:
    """An optimiser with its hyperparameters and learning rate fixed: `step` runs the lines
    for one parameter."""

    def __init__(self, entry: Optimizer, hyper: dict[str, float], lr: float) -> None:
        self.entry = entry
        self.hyper = hyper
        self.lr = lr
        self.slots = entry.state
        self._fixed = {"r": lr, **hyper}
        self._lines = [(line.name, line.fn, line.args) for line in entry.lines]
        # one line over w, r and g alone (sgd): called directly
        only = entry.lines[0] if len(entry.lines) == 1 else None
        self._direct = only.fn if only is not None and only.args == ("w", "r", "g") else None

    def fresh(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """The state before the first step: zeros the shape of `w` in every slot."""
        return {slot: np.zeros(np.shape(w)) for slot in self.slots}

    def step(self, w: Any, g: Any, state: dict[str, Any], t: int) -> dict[str, Any]:
        """Every line's value for parameter `w` with gradient `g`, the state before the
        step and the step's number `t`: `["w"]` is the new value, `[slot]` the new state."""
        if self._direct is not None:
            return {"w": self._direct(w, self.lr, g)}
        env: dict[str, Any] = {**self._fixed, **state, "w": w, "g": g, "t": t}
        for name, fn, args in self._lines:
            env[name] = fn(*[env[a] for a in args])
        return env

    def new(self, w: Any, g: Any, state: dict[str, Any], t: int) -> tuple[Any, dict[str, Any]]:
        """The new value and the new state."""
        if self._direct is not None:
            return self._direct(w, self.lr, g), state
        env = self.step(w, g, state, t)
        return env["w"], {slot: env[slot] for slot in self.slots}

    def terms(self, env: dict[str, Any]) -> dict[str, Any]:
        """The values of the lines before the last, in order (the new state among them)."""
        return {line.name: env[line.name] for line in self.entry.lines[:-1]}
