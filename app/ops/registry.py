"""The op registry: one declarative entry per op.

An entry holds everything the rest of the program needs to know about an op:
how it is written (function name or operator), its gate symbol, its forward
function, its derivative (as per-input partials for elementwise ops, or a
vector-Jacobian product for the rest), a human formula per input, its shape
rule, and for composite gates an expansion into primitives written in the
circuit language itself. The parser's function whitelist, `GET /api/ops`,
the README's op table and the page's labels are all derived from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray
Shape = tuple[int, ...]


class ShapeError(Exception):
    """Shapes that do not fit an op; the engine adds the place and the op's text."""


@dataclass(frozen=True, slots=True)
class Param:
    """A trailing integer literal of a call: an axis or a window size."""

    name: str
    default: int | None = None
    required: bool = False


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    symbol: str
    description: str
    forward: Callable[..., Any]
    formulas: tuple[str, ...]
    shape: Callable[..., Shape]
    # Elementwise ops give partials: partial_i(ans, *inputs) is ∂out/∂input_i, elementwise.
    partials: tuple[Callable[..., Any], ...] | None = None
    # Other ops give a vjp: vjp(g, ans, *inputs, **params) -> one gradient per input.
    vjp: Callable[..., tuple[Any, ...]] | None = None
    params: tuple[Param, ...] = ()
    function: str | None = None  # the name a program calls it by, if any
    operator: str | None = None  # the operator a program writes, if any
    expansion: str | None = None  # the same function in primitives; inputs are a, b
    domain: str = ""  # plain-language hint shown when the result is NaN or infinite
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def elementwise(self) -> bool:
        return self.partials is not None

    def __post_init__(self) -> None:
        assert (self.partials is None) != (self.vjp is None), self.name
        assert len(self.formulas) == self.arity, self.name
        if self.partials is not None:
            assert len(self.partials) == self.arity, self.name

    def describe(self) -> dict[str, Any]:
        """The catalogue entry served by GET /api/ops."""
        return {
            "name": self.name,
            "function": self.function,
            "operator": self.operator,
            "symbol": self.symbol,
            "arity": self.arity,
            "params": [{"name": p.name, "default": p.default, "required": p.required}
                       for p in self.params],
            "description": self.description,
            "formulas": list(self.formulas),
            "elementwise": self.elementwise,
            "composite": self.expansion is not None,
            "expansion": self.expansion,
        }


REGISTRY: dict[str, Op] = {}


def register(op: Op) -> Op:
    assert op.name not in REGISTRY, op.name
    REGISTRY[op.name] = op
    return op


def functions() -> dict[str, Op]:
    """Ops a program may call by name, keyed by that name."""
    return {op.function: op for op in REGISTRY.values() if op.function}


def operators(arity: int) -> dict[str, Op]:
    """Ops a program writes as an operator, keyed by the operator text."""
    return {op.operator: op for op in REGISTRY.values() if op.operator and op.arity == arity}


def unbroadcast(grad: Any, shape: Shape) -> Any:
    """Sum a gradient over the axes numpy broadcast, so it has the input's shape again."""
    grad = np.asarray(grad, dtype=float)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return np.broadcast_to(grad, shape) if grad.shape != shape else grad


def broadcast_shape(*shapes: Shape) -> Shape:
    """numpy's broadcasting rule, as a shape rule for elementwise ops."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(
            f"shapes {' and '.join(map(str, shapes))} do not broadcast"
        ) from None
