"""The op registry: one declarative entry per op.

An entry holds everything the rest of the program needs to know about an op:
how it is written (function name or operator), its gate symbol, its forward
function, its derivative (as per-input partials for elementwise ops, or a
vector-Jacobian product for the rest), a human formula per input, its shape
rule, and for composite gates an expansion into primitives written in the
circuit language itself. The parser's function whitelist, `GET /api/ops`,
the README's op table and the page's labels are all derived from here.

The teaching tools read three more fields:

- `batch`, the op's batching rule (JAX's vmap idea): the op applied to inputs
  of which some carry a leading batch axis. Elementwise ops derive it (line
  the batch axes up, then broadcast); the others give one. The nudge plot and
  the gradient check evaluate a whole batch of inputs in one pass with it.
- `kink`, for ops that are not differentiable somewhere: a "side" function
  whose sign changes exactly at the kink (relu and abs at 0, max and min on a
  tie), so the gradient check can say when a nudge crosses one.
- `code`, the templates the staged Python program is written from: the
  forward expression and each input's local derivative (or, for ops that
  give a vjp, each input's gradient contribution), for `math` and for numpy.

And one for ops with an input that is not a number to differentiate by:

- `nondiff`, the positions of such inputs (cross_entropy's class labels).
  Their vjp is zeros; the gradient check never nudges what feeds them and the
  nudge plot refuses to slide it, since a label of 1.000001 means nothing.

The page's explanation reads three more, from the catalogue, so that a new op
needs no change to the page:

- `notation`, how the explanation writes the gate applied to its operands
  (`{a} · {b}`, `−{a}`); without one it writes `label(a, b, params)`.
- `pattern`, cs231n's name for how the gradient flows back through the gate
  (one of PATTERNS: the add gate distributes, the multiply gate swaps, the max
  gate routes to the larger input), which the page says in words.
- `backward_note`, the extra lesson of a backward step through the gate (one of
  BACKWARD_NOTES: the matrix chain rule with its shapes, where a pooling
  window sends its gradient).
- `local`, each input's local derivative written on the operands `{a}`, `{b}`,
  so the chain-rule line can name it by what it equals and then put the
  numbers in, as cs231n does ("∂f/∂q = z = −4"); and `factors`, per input, the
  numbers a product-shaped local derivative is made of (σ's σ(a) and 1 − σ(a)),
  which the step trace sends so the page can write 0.731 · 0.269 = 0.197.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray
Shape = tuple[int, ...]


class Site:
    """Where a code template is used: the texts it is written with, and what is known.

    `a`, `b` are the operands (an identifier or an atom such as `2` or `(-1)`),
    `y` the output's name, `g` the upstream gradient's name, `params` the
    node's params (`axis`), `shapes` the operands' shapes, `literals` each
    operand's value when it is a constant written in place (else None), and
    `number(x)` writes a number the way the program does.
    """

    __slots__ = ("args", "y", "g", "params", "shapes", "literals", "number")

    def __init__(self, args: list[str], y: str, g: str, params: dict[str, Any],
                 shapes: list[Shape], literals: list[Any], number: Callable[[float], str]):
        self.args = args
        self.y = y
        self.g = g
        self.params = params
        self.shapes = shapes
        self.literals = literals
        self.number = number

    @property
    def a(self) -> str:
        return self.args[0]

    @property
    def b(self) -> str:
        return self.args[1]

    def fill(self, template: Template) -> str:
        if callable(template):
            return template(self)
        names = dict(zip("ab", self.args, strict=False))
        return template.format(y=self.y, g=self.g, **names, **self.params)


Template = str | Callable[[Site], str]


@dataclass(frozen=True)
class Code:
    """How the staged program (app/engine/staged.py) writes an op.

    Templates are `str.format` strings over `{a}`, `{b}`, `{y}`, `{g}` and the
    params (`{axis}`), or callables of a `Site`. `math` and `dmath` write
    scalars with `import math` (None: the op needs numpy); `numpy` and
    `dnumpy` write numpy arrays. Elementwise ops give each input's local
    derivative in `dmath`/`dnumpy` (the program writes `da = (local) * dy`);
    ops with a vjp give each input's whole contribution in `vjp`, in terms of
    the upstream gradient `{g}`.
    """

    numpy: Template
    math: Template | None = None
    dmath: tuple[Template, ...] = ()
    dnumpy: tuple[Template, ...] = ()
    vjp: tuple[Template, ...] = ()

    @classmethod
    def same(cls, forward: Template, local: tuple[Template, ...]) -> Code:
        """An op written the same way with math and with numpy."""
        return cls(numpy=forward, math=forward, dmath=local, dnumpy=local)


class ShapeError(Exception):
    """Shapes that do not fit an op; the engine adds the place and the op's text."""


class OpValueError(Exception):
    """Values an op cannot take (a class label that is not a whole number in range).

    Raised by a forward function; the engine turns it into a 400 `value` error
    at the call, with `key` and `info` naming the message for translation.
    """

    def __init__(self, reason: str, key: str, info: dict[str, Any]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key
        self.info = info


@dataclass(frozen=True, slots=True)
class Param:
    """A trailing integer literal of a call: an axis or a window size."""

    name: str
    default: int | None = None
    required: bool = False


# cs231n's patterns of backward flow: every input gets the upstream gradient unchanged
# (up to sign); each input gets the other's value times it; all of it goes to the
# larger (smaller) input.
PATTERNS = frozenset({"distributes", "swaps", "routes_larger", "routes_smaller"})
# What the explanation adds at a backward step: the matrix chain rule with its shapes
# (dimension analysis); which cell of each k×k window takes the gradient; how the
# gradient is spread over each k×k window.
BACKWARD_NOTES = frozenset({"dimensions", "window_max", "window_mean"})


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
    # The same function in primitives, inputs a and b: an expression, or statements
    # whose last one is the output (`e = exp(a); e / sum(e)`).
    expansion: str | None = None
    domain: str = ""  # plain-language hint shown when the result is NaN or infinite
    labels: dict[str, str] = field(default_factory=dict)
    # batch(batched, *inputs, **params): the op where inputs flagged in `batched` carry a
    # leading batch axis; elementwise ops derive it (see `batched`).
    batch: Callable[..., Any] | None = None
    # kink(*inputs): an array whose sign changes, or is 0, where the op is not differentiable.
    kink: Callable[..., Any] | None = None
    code: Code | None = None  # the staged program's templates
    # Input positions that take no gradient (class labels): the vjp gives zeros there.
    nondiff: tuple[int, ...] = ()
    # How the staged program names a gate of this op the program left unnamed, from its
    # operands' names, as cs231n's staged code does (`sigx`, `xpy`, `invden`); None: `t<id>`.
    stage_name: str | None = None
    # For the page's explanation: the gate written on its operands `{a}`, `{b}`; its
    # pattern of backward flow (PATTERNS); its backward step's extra note (BACKWARD_NOTES).
    notation: str | None = None
    pattern: str | None = None
    backward_note: str | None = None
    local: tuple[str, ...] = ()
    # factors[j](ans, *inputs): the numbers whose product is input j's local derivative.
    factors: tuple[Callable[..., tuple[Any, ...]] | None, ...] = ()

    @property
    def elementwise(self) -> bool:
        return self.partials is not None

    def batched(self, batched: tuple[bool, ...], *xs: Any, **params: Any) -> Any:
        """The op on a batch: flagged inputs have a leading batch axis, and so does the result."""
        if self.batch is not None:
            return self.batch(batched, *xs, **params)
        return self.forward(*align(batched, xs), **params)

    def __post_init__(self) -> None:
        assert (self.partials is None) != (self.vjp is None), self.name
        assert len(self.formulas) == self.arity, self.name
        if self.partials is not None:
            assert len(self.partials) == self.arity, self.name
        assert all(0 <= j < self.arity for j in self.nondiff), self.name
        assert self.pattern is None or self.pattern in PATTERNS, self.name
        assert self.backward_note is None or self.backward_note in BACKWARD_NOTES, self.name
        assert not self.local or len(self.local) == self.arity, self.name
        assert not self.factors or len(self.factors) == self.arity, self.name

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
            "notation": self.notation,
            "pattern": self.pattern,
            "backward_note": self.backward_note,
            "local": list(self.local) or None,
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


def align(batched: tuple[bool, ...], xs: tuple[Any, ...] | list[Any]) -> list[Any]:
    """Operands of an elementwise op with their batch axes lined up for broadcasting.

    A batched operand's first axis is the batch; its own axes are padded with
    ones in front up to the rank of the widest operand, so that numpy's
    broadcasting (which aligns trailing axes) puts the batch axis first.
    """
    rank = max(np.ndim(x) - int(f) for f, x in zip(batched, xs, strict=True))
    out = []
    for f, x in zip(batched, xs, strict=True):
        if f and np.ndim(x) - 1 < rank:
            x = np.reshape(x, x.shape[:1] + (1,) * (rank - x.ndim + 1) + x.shape[1:])
        out.append(x)
    return out


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
