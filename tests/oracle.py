"""The differential oracle: random programs, Backprop Lab's engine against HIPS autograd.

A generator writes random well-typed programs of the circuit language —
scalars and tensors, every op of the registry, named intermediates used more
than once, broadcasting on either side, transposes and reshapes feeding every
op (so arrays that are not C-contiguous, and read-only broadcast views, reach
every forward function and vjp) — and, beside each program, the same
computation written with `autograd.numpy`. autograd differentiates that
independent text with its own vjps; the oracle then compares, in float64:

- the output's value,
- every input's gradient (class labels: zeros),
- every named intermediate's value and gradient (autograd gets the latter
  through a zero added to the intermediate, a standard trick),
- the backward steps' running sums, the numbers the page shows, which must
  end at each node's gradient,
- and, for programs whose output is one number, the training tape
  (app/training/tape.py): its loss and gradients, one update in place as the
  trainer makes it, and the next pass, against the engine at the new values.

Programs stay away from kinks and overflow as a gradient check does: every
value is built with the numbers known, so an operand too close to a kink
(relu or abs at 0, a max/min tie, a max-pool tie) is shifted, a log, sqrt,
division or power gets a positive operand, and large values are scaled down.

Why autograd rather than PyTorch: it is a small pure-Python package (a second
to install, on any machine, where PyTorch is hundreds of megabytes), float64
is its default, so no dtype can slip, and its vjps are HIPS's own table,
written independently of ours; it runs a thousand programs in seconds.

`run(seed)` checks one program and returns a `Report`; `tests/test_oracle.py`
runs fixed seeds, and `python -m bench.oracle --programs N` runs many.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import autograd.numpy as anp
import numpy as np
from autograd import grad as autograd_grad

from app.engine import evaluate
from app.engine.bind import bind
from app.engine.shapes import infer_shapes
from app.engine.trace import backward_steps
from app.engine.update import update
from app.graph import build
from app.graph.build import literal_value
from app.lang import parse
from app.lang.syntax import Binary, ListLit, Name, Num, Unary, children, postorder
from app.training.tape import Tape

RTOL = 1e-9
# Two correct float64 programs that add the same terms in another order differ by a few
# units in the last place of the terms, which is more than rtol of a sum that cancels.
# So a difference is also forgiven below ATOL times the largest magnitude in the program.
ATOL = 1e-12

Shape = tuple[int, ...]
Env = dict[str, Any]

MARGIN = 0.05  # the closest a kink may be: relu/abs operands, max/min gaps, max-pool gaps
POSITIVE = 0.2  # the smallest operand of log, sqrt, a divisor, a power's base
BOUND = 8.0  # larger values are scaled down

SHAPES: list[Shape] = [(), (), (2,), (3,), (2, 3), (3, 2), (2, 2), (2, 1), (1, 3), (4, 4),
                       (2, 2, 3)]
UNARY = ["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs"]
BINARY = ["add", "sub", "mul", "div", "pow", "max", "min"]
TEXT = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^", "matmul": "@"}
FUNCTION_NAME = {"max": "max", "min": "min"}


# -- the independent reference: every op written with autograd.numpy -----------------

def _softmax(x: Any) -> Any:
    e = anp.exp(x - anp.max(x, axis=-1, keepdims=True))
    return e / anp.sum(e, axis=-1, keepdims=True)


def _log_softmax(x: Any) -> Any:
    return anp.log(_softmax(x))


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return (np.arange(classes) == np.asarray(labels, dtype=int)[..., None]).astype(float)


def _pick(x: Any, labels: np.ndarray) -> Any:
    return anp.sum(x * _one_hot(labels, x.shape[-1]), axis=-1)


def _cross_entropy(x: Any, labels: np.ndarray) -> Any:
    return -anp.mean(_pick(_log_softmax(x), labels))


def _pool(reduce: Callable[..., Any]) -> Callable[[Any, int], Any]:
    def pool(x: Any, k: int) -> Any:
        h, w = x.shape
        return reduce(anp.reshape(x, (h // k, k, w // k, k)), axis=(1, 3))
    return pool


REFERENCE: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: anp.power(a, b),
    "neg": lambda a: -a,
    "identity": lambda a: a,
    "exp": anp.exp,
    "log": anp.log,
    "sqrt": anp.sqrt,
    "sin": anp.sin,
    "cos": anp.cos,
    "tanh": anp.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + anp.exp(-a)),
    "relu": lambda a: anp.maximum(a, 0.0),
    "abs": anp.abs,
    "max": anp.maximum,
    "min": anp.minimum,
    "matmul": anp.matmul,
    "sum": lambda a, axis=None: anp.sum(a, axis=axis),
    "mean": lambda a, axis=None: anp.mean(a, axis=axis),
    "transpose": anp.transpose,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "pick": _pick,
    "cross_entropy": _cross_entropy,
    "mse": lambda a, b: anp.mean((a - b) ** 2),
    "max_pool": _pool(anp.max),
    "mean_pool": _pool(anp.mean),
    "reshape": lambda a, *shape: anp.reshape(a, shape),
}


# -- expressions: the program's text and the reference, built together -----------------

@dataclass
class Expr:
    """A piece of a program: its text, its reference function of the inputs, what it holds."""

    text: str
    ref: Callable[[Env], Any]
    shape: Shape
    value: np.ndarray  # at the program's input values, for the domain checks
    ops: frozenset[str] = frozenset()
    constant: bool = False  # depends on no input

    @property
    def atom(self) -> str:
        """The text, safe as an operand of any operator."""
        return self.text if _is_atom(self.text) else f"({self.text})"


def _is_atom(text: str) -> bool:
    """A name, a number, a list, a call or a parenthesis: nothing outside brackets binds."""
    if text.startswith("-"):
        return False
    depth = 0
    for ch in text:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if depth == 0 and ch in " +-*/^@,":
            return False
    return True


def _number(x: float) -> str:
    return repr(float(x))


def _literal(value: np.ndarray) -> str:
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return _number(float(value))
    return "[" + ", ".join(_literal(v) for v in value) + "]"


@dataclass
class Program:
    """A generated program with everything needed to check it."""

    source: str
    values: dict[str, Any]  # what the request gives (some inputs have defaults instead)
    inputs: dict[str, np.ndarray]  # every input's value, labels included
    labels: set[str]  # inputs that are class labels
    statements: list[tuple[str, Expr]]  # named intermediates in order; the last is the output
    seed: np.ndarray | None  # the upstream gradient of a tensor output (None: ones)
    ops: set[str] = field(default_factory=set)

    @property
    def output(self) -> str:
        return self.statements[-1][0]


class Generator:
    """Random programs from one seed: the same seed, the same program."""

    def __init__(self, seed: int, scalar_output: bool = False, wide: bool = False) -> None:
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.scalar_output = scalar_output
        self.wide = wide
        self.inputs: dict[str, np.ndarray] = {}
        self.defaults: set[str] = set()
        self.labels: set[str] = set()
        self.vars: dict[str, Expr] = {}  # inputs and named intermediates usable as operands
        self.env: Env = {}

    # -- leaves --------------------------------------------------------------------

    def _var(self, name: str, shape: Shape, value: np.ndarray, constant: bool = False) -> Expr:
        return Expr(name, lambda env, n=name: env[n], shape, value, constant=constant)

    def new_input(self, shape: Shape) -> Expr:
        name = f"a{len(self.inputs)}"
        value = np.round(self.np_rng.uniform(-2, 2, size=shape), 3)
        value = np.asarray(value, dtype=float)
        self.inputs[name] = value
        self.env[name] = value
        if self.rng.random() < 0.5:
            self.defaults.add(name)
        e = self._var(name, shape, value)
        self.vars[name] = e
        return e

    def constant(self, shape: Shape) -> Expr:
        value = np.asarray(np.round(self.np_rng.uniform(-2, 2, size=shape), 2), dtype=float)
        value[np.abs(value) < 0.1] = 0.5
        text = _literal(value)
        if value.ndim == 0 and value < 0:
            text = f"({text})"
        return Expr(text, lambda env, v=value: v, shape, value, constant=True)

    def leaf(self, shape: Shape) -> Expr:
        same = [e for e in self.vars.values() if e.shape == shape]
        r = self.rng.random()
        if same and r < 0.55:
            return self.rng.choice(same)
        if r < 0.85 or not shape:
            return self.new_input(shape) if r < 0.95 or shape else self.constant(shape)
        return self.constant(shape)

    def labels_for(self, shape: Shape, classes: int) -> Expr:
        """Class labels of `shape`: an input (maybe reused) or a literal."""
        reuse = [n for n in self.labels if self.inputs[n].shape == shape
                 and self.inputs[n].max() < classes]
        if reuse and self.rng.random() < 0.4:
            name = self.rng.choice(reuse)
            return self._var(name, shape, self.inputs[name])
        value = np.asarray(self.np_rng.integers(0, classes, size=shape), dtype=float)
        if self.rng.random() < 0.3:
            text = _literal(value).replace(".0", "")
            return Expr(text, lambda env, v=value: v, shape, value, constant=True)
        name = f"y{len(self.labels)}"
        self.labels.add(name)
        self.inputs[name] = value
        self.env[name] = value
        if self.rng.random() < 0.5:
            self.defaults.add(name)
        return self._var(name, shape, value)

    # -- building blocks --------------------------------------------------------------

    def apply(self, op: str, args: list[Expr], text: str, params: tuple = ()) -> Expr:
        fn = REFERENCE[op]
        refs = [a.ref for a in args]

        def ref(env: Env) -> Any:
            return fn(*[r(env) for r in refs], *params)
        value = np.asarray(ref(self.env), dtype=float)
        ops = frozenset({op}).union(*(a.ops for a in args))
        return Expr(text, ref, value.shape, value, ops, all(a.constant for a in args))

    def call(self, op: str, *args: Expr, params: tuple = ()) -> Expr:
        written = ", ".join([a.text for a in args] + [str(p) for p in params])
        name = FUNCTION_NAME.get(op, op)
        return self.apply(op, list(args), f"{name}({written})", params)

    def binary(self, op: str, a: Expr, b: Expr) -> Expr:
        return self.apply(op, [a, b], f"{a.atom} {TEXT[op]} {b.atom}")

    def unary(self, op: str, a: Expr) -> Expr:
        if op == "neg":
            return self.apply("neg", [a], f"-{a.atom}")
        return self.call(op, a)

    def bounded(self, e: Expr) -> Expr:
        """e, divided by a constant when its numbers grow past BOUND."""
        big = float(np.max(np.abs(e.value))) if e.value.size else 0.0
        if big <= BOUND:
            return e
        scale = float(math.ceil(big / 2))
        return self.binary("div", e, self.constant_number(scale))

    def constant_number(self, x: float) -> Expr:
        value = np.asarray(float(x))
        text = _number(x) if x >= 0 else f"({_number(x)})"
        return Expr(text, lambda env, v=value: v, (), value, constant=True)

    def constant_tensor(self, value: np.ndarray) -> Expr:
        value = np.asarray(value, dtype=float)
        return Expr(_literal(value), lambda env, v=value: v, value.shape, value, constant=True)

    def positive(self, e: Expr) -> Expr:
        """An operand for log, sqrt, a divisor or a power's base: all of it above POSITIVE."""
        if e.value.size and float(np.min(e.value)) >= POSITIVE:
            return e
        choice = self.rng.randrange(3)
        if choice == 0:
            return self.unary("exp", self.unary("tanh", e))
        if choice == 1:
            return self.binary("add", self.unary("sigmoid", e), self.constant_number(0.25))
        return self.binary("add", self.binary("mul", e, e), self.constant_number(0.5))

    def away_from_zero(self, e: Expr) -> Expr:
        """An operand of relu or abs with no element within MARGIN of the kink at 0."""
        if not e.value.size or float(np.min(np.abs(e.value))) >= MARGIN:
            return e
        for _ in range(20):
            c = round(self.rng.uniform(-1.5, 1.5), 2)
            if float(np.min(np.abs(e.value + c))) >= MARGIN:
                return self.binary("add", e, self.constant_number(c))
        return self.spread(e)

    def spread(self, e: Expr) -> Expr:
        """0.1·tanh(e) + J, J a constant whose elements are ≥ 0.5 apart and from 0."""
        size = max(e.value.size, 1)
        steps = (np.arange(size) + 1.0) * self.rng.choice([-1.0, 1.0])
        steps = self.np_rng.permutation(steps) * 0.7 - 0.35 * np.sign(steps)
        jitter = self.constant_tensor(steps.reshape(e.shape)) if e.shape else \
            self.constant_number(float(steps[0]))
        small = self.binary("mul", self.constant_number(0.1), self.unary("tanh", e))
        return self.binary("add", small, jitter)

    def apart(self, a: Expr, b: Expr) -> Expr:
        """b, moved so that no element of a − b is within MARGIN of a tie (max and min)."""
        gap = np.broadcast_to(a.value, np.broadcast_shapes(a.shape, b.shape)) - b.value
        if not gap.size or float(np.min(np.abs(gap))) >= MARGIN:
            return b
        for _ in range(20):
            c = round(self.rng.uniform(-1.5, 1.5), 2)
            if float(np.min(np.abs(gap - c))) >= MARGIN:
                return self.binary("add", b, self.constant_number(c))
        return self.binary("add", b, self.constant_number(5.0))

    # -- expressions of a shape -------------------------------------------------------

    def expr(self, shape: Shape, depth: int) -> Expr:
        if depth <= 0 or self.rng.random() < 0.2:
            return self.leaf(shape)
        makers = self.makers(shape)
        op = self.rng.choice(sorted(makers))
        return self.bounded(makers[op](shape, depth - 1))

    def makers(self, shape: Shape) -> dict[str, Callable[[Shape, int], Expr]]:
        """The ops that can produce `shape`, each with how to build one."""
        m: dict[str, Callable[[Shape, int], Expr]] = {
            "unary": self.make_unary, "binary": self.make_binary,
        }
        if len(shape) <= 2:
            m["sum"] = self.make_reduce
            m["mean"] = self.make_reduce
        if shape == ():
            m["cross_entropy"] = self.make_cross_entropy
            m["mse"] = self.make_mse
        if len(shape) >= 2:
            m["transpose"] = self.make_transpose
        if 1 <= len(shape) <= 2 and math.prod(shape) > 1:
            m["reshape"] = self.make_reshape
        if len(shape) >= 1:
            m["softmax"] = self.make_softmax
            m["log_softmax"] = self.make_softmax
        if len(shape) <= 2:
            m["pick"] = self.make_pick
            m["matmul"] = self.make_matmul
        if len(shape) == 2 and max(shape) <= 4:
            m["max_pool"] = self.make_pool
            m["mean_pool"] = self.make_pool
        return m

    def operand(self, shape: Shape, depth: int) -> Expr:
        """An operand of `shape`; often made from a transpose or reshape of another shape."""
        r = self.rng.random()
        if depth > 0 and len(shape) >= 2 and r < 0.3:
            return self.make_transpose(shape, depth - 1)
        if depth > 0 and 1 <= len(shape) <= 2 and math.prod(shape) > 1 and r < 0.45:
            return self.make_reshape(shape, depth - 1)
        return self.expr(shape, depth)

    def make_unary(self, shape: Shape, depth: int) -> Expr:
        op = self.rng.choice(UNARY)
        a = self.operand(shape, depth)
        if op in ("log", "sqrt"):
            a = self.positive(a)
        elif op in ("relu", "abs"):
            a = self.away_from_zero(a)
        elif op == "exp" and a.value.size and float(np.max(np.abs(a.value))) > 3:
            a = self.unary("tanh", a)
        return self.unary(op, a)

    def broadcast_pair(self, shape: Shape) -> tuple[Shape, Shape]:
        """Two operand shapes that broadcast to `shape`, one or both of them smaller."""
        full = shape
        choices = [full, ()]
        choices += [shape[k:] for k in range(1, len(shape))]
        for k in range(len(shape)):
            if shape[k] > 1:
                choices.append(shape[:k] + (1,) + shape[k + 1:])
        small = self.rng.choice(choices)
        r = self.rng.random()
        if r < 0.4:
            return full, small
        if r < 0.8:
            return small, full
        if len(shape) == 2 and shape[0] > 1 and shape[1] > 1:  # (n, 1) against (1, m)
            return (shape[0], 1), (1, shape[1])
        return full, full

    def make_binary(self, shape: Shape, depth: int) -> Expr:
        op = self.rng.choice(BINARY)
        sa, sb = self.broadcast_pair(shape)
        if op == "pow" and self.rng.random() < 0.5:  # a number as the exponent: x ^ 2
            a = self.positive(self.operand(shape, depth))
            exponent = self.rng.choice([2.0, 3.0, 0.5, -1.0, 1.5])
            return self.binary("pow", a, self.constant_number(exponent))
        a = self.operand(sa, depth)
        if self.rng.random() < 0.15 and sa == sb:
            b = a  # x * x: one value, two edges into one gate
        else:
            b = self.operand(sb, depth)
        if op == "div":
            b = self.positive(b)
        elif op == "pow":
            a = self.positive(a)
            if b.value.size and float(np.max(np.abs(b.value))) > 2.5:
                b = self.unary("tanh", b)
        elif op in ("max", "min"):
            b = self.apart(a, b)
        if op in ("max", "min"):
            return self.call(op, a, b)
        return self.binary(op, a, b)

    def make_reduce(self, shape: Shape, depth: int) -> Expr:
        op = self.rng.choice(["sum", "mean"])
        if shape == () and self.rng.random() < 0.5:
            child = self.operand(self.rng.choice([s for s in SHAPES if s]), depth)
            return self.call(op, child)
        axis = self.rng.randrange(len(shape) + 1)
        size = self.rng.choice([2, 3])
        child_shape = shape[:axis] + (size,) + shape[axis:]
        child = self.operand(child_shape, depth)
        written = axis if self.rng.random() < 0.5 else axis - len(child_shape)
        return self.call(op, child, params=(written,))

    def make_transpose(self, shape: Shape, depth: int) -> Expr:
        child = self.expr(tuple(reversed(shape)), depth)
        return self.call("transpose", child)

    def make_reshape(self, shape: Shape, depth: int) -> Expr:
        size = math.prod(shape)
        options = [s for s in _factorisations(size) if s != shape]
        child = self.expr(self.rng.choice(options), depth) if options else self.leaf(shape)
        sizes = list(shape)
        if self.rng.random() < 0.3:
            sizes[self.rng.randrange(len(sizes))] = -1
        expr = self.call("reshape", child, params=tuple(sizes))
        return expr

    def make_softmax(self, shape: Shape, depth: int) -> Expr:
        op = self.rng.choice(["softmax", "log_softmax"])
        return self.call(op, self.operand(shape, depth))

    def make_pick(self, shape: Shape, depth: int) -> Expr:
        classes = self.rng.choice([2, 3])
        x = self.operand(shape + (classes,), depth)
        return self.call("pick", x, self.labels_for(shape, classes))

    def make_cross_entropy(self, shape: Shape, depth: int) -> Expr:
        classes = self.rng.choice([2, 3])
        rows: Shape = self.rng.choice([(), (2,), (3,)])
        x = self.operand(rows + (classes,), depth)
        return self.call("cross_entropy", x, self.labels_for(rows, classes))

    def make_mse(self, shape: Shape, depth: int) -> Expr:
        full = self.rng.choice([s for s in SHAPES if s])
        sa, sb = self.broadcast_pair(full)
        return self.call("mse", self.operand(sa, depth), self.operand(sb, depth))

    def make_matmul(self, shape: Shape, depth: int) -> Expr:
        n = self.rng.choice([2, 3])
        if shape == ():
            sa, sb = (n,), (n,)
        elif len(shape) == 1:
            sa, sb = self.rng.choice([((shape[0], n), (n,)), ((n,), (n, shape[0]))])
        else:
            m, p = shape
            sa, sb = self.rng.choice([((m, n), (n, p)), ((m, n), (n, p)), ((n,), (m, n, p))])
        return self.binary("matmul", self.operand(sa, depth), self.operand(sb, depth))

    def make_pool(self, shape: Shape, depth: int) -> Expr:
        op = self.rng.choice(["max_pool", "mean_pool"])
        k = self.rng.choice([1, 2, 2])
        child = self.operand((shape[0] * k, shape[1] * k), depth)
        if op == "max_pool" and k > 1 and _pool_gap(child.value, k) < MARGIN:
            child = self.spread(child)
        return self.call(op, child, params=(k,))

    # -- a whole program ------------------------------------------------------------------

    def program(self) -> Program:
        if self.wide:
            return self.finish(self.scalar_network())
        statements: list[tuple[str, Expr]] = []
        count = self.rng.randint(2, 6)
        for k in range(count):
            last = k == count - 1
            shape = () if last and self.scalar_output else self.rng.choice(SHAPES)
            e = self.expr(shape, self.rng.randint(1, 3))
            if e.text in self.vars and self.rng.random() < 0.5:
                e = self.apply("identity", [e], e.text)  # an alias: `t2 = t1`
            elif e.text in self.vars or e.constant and not last:
                e = self.binary("mul", e, self.new_input(e.shape))  # a gate, fed by an input
            name = "f" if last else f"t{k}"
            self.name(statements, name, e)
        return self.finish(statements)

    def name(self, statements: list[tuple[str, Expr]], name: str, e: Expr) -> None:
        statements.append((name, e))
        self.vars[name] = self._var(name, e.shape, e.value, e.constant)
        self.env[name] = e.value

    def scalar_network(self) -> list[tuple[str, Expr]]:
        """Layers of scalar neurons, wide enough that the engine runs each layer's gates of
        one op as one vectorised call (its batched path: run.MIN_BATCH gates or more)."""
        statements: list[tuple[str, Expr]] = []
        previous = [self.new_input(()) for _ in range(self.rng.randint(2, 4))]
        for layer in range(self.rng.randint(1, 3)):
            act = self.rng.choice(UNARY)
            current = []
            for j in range(self.rng.randint(8, 14)):
                a, b = previous[j % len(previous)], self.rng.choice(previous)
                z = self.binary("add", self.binary("mul", self.new_input(()), a),
                                self.binary("mul", self.new_input(()), b))
                z = self.bounded(z)
                if act in ("log", "sqrt"):
                    z = self.positive(z)
                elif act in ("relu", "abs"):
                    z = self.away_from_zero(z)
                h = self.unary(act, z)
                self.name(statements, f"h{layer}_{j}", h)
                current.append(self.vars[f"h{layer}_{j}"])
            previous = current
        out = previous[0]
        for h in previous[1:]:
            op = self.rng.choice(["add", "mul", "sub"])
            out = self.bounded(self.binary(op, out, h))
        self.name(statements, "f", out)
        return statements

    def finish(self, statements: list[tuple[str, Expr]]) -> Program:
        seed = None
        out_shape = statements[-1][1].shape
        if out_shape != () and self.rng.random() < 0.5:
            seed = np.round(self.np_rng.uniform(-1, 1, size=out_shape), 2)
        used = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", " ".join(e.text for _, e in statements)))
        for name in [n for n in self.inputs if n not in used]:  # made, then left out
            del self.inputs[name]
            self.labels.discard(name)
        lines = []
        for name in self.inputs:
            if name in self.defaults:
                lines.append(f"{name} = {_literal(self.inputs[name])}")
        lines += [f"{name} = {e.text}" for name, e in statements]
        values = {name: (self.inputs[name].astype(int).tolist() if name in self.labels
                         else self.inputs[name].tolist())
                  for name in self.inputs if name not in self.defaults}
        ops = set().union(*(e.ops for _, e in statements))
        return Program("\n".join(lines) + "\n", values, dict(self.inputs), set(self.labels),
                       statements, seed, ops)


def _factorisations(size: int) -> list[Shape]:
    """Shapes of one to three axes with `size` elements (each axis at most 8)."""
    out: list[Shape] = [(size,)] if size <= 8 else []
    for a in range(1, size + 1):
        if size % a == 0 and a <= 8 and size // a <= 8:
            out.append((a, size // a))
    for a in (2,):
        if size % a == 0:
            for b in range(2, 5):
                if (size // a) % b == 0 and size // a // b <= 4:
                    out.append((a, b, size // a // b))
    return out


def _pool_gap(x: np.ndarray, k: int) -> float:
    """The smallest gap between a k×k window's largest and second largest number."""
    h, w = x.shape
    win = np.swapaxes(x.reshape(h // k, k, w // k, k), 1, 2).reshape(h // k, w // k, k * k)
    top = np.sort(win, axis=-1)
    return float(np.min(top[..., -1] - top[..., -2]))


# -- the check --------------------------------------------------------------------------

@dataclass
class Report:
    """One program's verdict: the program, and what disagreed (empty when all agree)."""

    seed: int
    program: Program
    problems: list[str]
    ops: set[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def reference(program: Program) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, Any]]:
    """autograd's output value, the named values, and every input's and name's gradient."""
    labels = {n: program.inputs[n] for n in program.labels}
    inputs = {n: v for n, v in program.inputs.items() if n not in program.labels}
    zeros = {name: np.zeros(e.shape) for name, e in program.statements}
    seed = program.seed

    def forward(inputs: dict[str, Any], nudges: dict[str, Any]) -> tuple[Any, Env]:
        env: Env = {**labels, **inputs}
        for name, e in program.statements:
            env[name] = e.ref(env) + nudges[name]
        return env[program.output], env

    def scalar(both: tuple[dict[str, Any], dict[str, Any]]) -> Any:
        out, _ = forward(*both)
        if seed is None:
            return anp.sum(out)
        return anp.sum(out * seed)

    out, env = forward(inputs, zeros)
    grads_in, grads_named = autograd_grad(scalar)((inputs, zeros))
    grads = {**{n: np.asarray(g, dtype=float) for n, g in grads_in.items()},
             **{n: np.zeros(np.shape(v)) for n, v in labels.items()},
             **{n: np.asarray(g, dtype=float) for n, g in grads_named.items()}}
    named = {name: np.asarray(env[name], dtype=float) for name, _ in program.statements}
    return np.asarray(out, dtype=float), named, grads


def _close(ours: Any, theirs: Any, scale: float) -> bool:
    """Equal shapes, NaN where the other has NaN, and every other number within tolerance."""
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    if ours.shape != theirs.shape:
        ours = np.broadcast_to(ours, theirs.shape) if ours.size == 1 else ours
        if ours.shape != theirs.shape:
            return False
    finite = np.isfinite(theirs)
    if not np.array_equal(ours[~finite], theirs[~finite], equal_nan=True):
        return False
    ours, theirs = ours[finite], theirs[finite]
    return bool(np.all(np.abs(ours - theirs) <= RTOL * np.abs(theirs) + ATOL * scale))


def _show(x: Any) -> str:
    return np.array2string(np.asarray(x, dtype=float), precision=17, separator=", ")


def check(program: Program, seed: int = 0, tape: bool = True) -> Report:
    """Compare the engine (and the tape) with autograd on one program."""
    problems: list[str] = []
    ref_out, ref_named, ref_grads = reference(program)
    scale = max([1.0] + [float(np.max(np.abs(v))) for v in
                         [ref_out, *ref_named.values(), *ref_grads.values()] if np.size(v)])

    graph = build(parse(program.source))
    ev = evaluate(graph, program.values, None if program.seed is None else program.seed.tolist())
    ids = {n.name: n.id for n in graph.nodes if n.name}

    def compare(what: str, ours: Any, theirs: np.ndarray) -> None:
        if not _close(ours, theirs, scale):
            problems.append(f"{what}: engine {_show(ours)}, autograd {_show(theirs)}")

    compare("output value", ev.value(graph.output), ref_out)
    for name in program.inputs:
        g = ev.grad(ids[name])
        compare(f"∂out/∂{name}", np.zeros(program.inputs[name].shape) if g is None else g,
                ref_grads[name])
    for name, e in program.statements:
        i = ids[name]
        compare(f"value of {name}", ev.value(i), ref_named[name])
        g = ev.grad(i)
        if g is None:
            if not e.constant:
                problems.append(f"∂out/∂{name}: the engine has no gradient")
        else:
            compare(f"∂out/∂{name}", g, ref_grads[name])

    # The backward steps: each node's running sum ends at its gradient.
    final: dict[str, Any] = {}
    for step in backward_steps(ev):
        for edge in step["edges"]:
            final[edge["input"]] = edge["sum"]
    by_key = {f"n{i}": name for name, i in ids.items()}
    for key, total in final.items():
        name = by_key.get(key)
        if name is None or name in program.labels:
            continue
        shape = ref_grads[name].shape
        total = np.asarray(total, dtype=float)
        if total.shape != shape:  # a scalar fed into a tensor gate: the product is a tensor
            total = np.sum(total) if shape == () else total
        compare(f"the steps' running sum into {name}", total, ref_grads[name])

    if tape and graph.nodes[graph.output].op != "input" and ev.shapes[graph.output] == ():
        problems += _check_tape(program, graph, ev, ref_grads, scale, integer_labels=seed % 4 == 0)
    return Report(seed, program, problems, program.ops)


def _check_tape(program: Program, graph: Any, ev: Any, ref_grads: dict[str, Any],
                scale: float, integer_labels: bool) -> list[str]:
    """The training tape: loss, gradients, one in-place update and the next pass."""
    problems: list[str] = []
    ids = graph.input_ids
    params = [n for n in program.inputs if n not in program.labels]
    labels = [n for n in program.inputs if n in program.labels]
    bound, _ = bind(graph, program.values)
    if integer_labels:  # as training gives them
        for n in labels:
            bound[ids[n]] = program.inputs[n].astype(np.intp)
    shapes = infer_shapes(graph, bound)
    with np.errstate(all="ignore"):
        tape = Tape.compile(graph, shapes, bound, [ids[n] for n in params],
                            [ids[n] for n in labels])
        loss = tape.forward()
        tape.backward()
    if not _close(loss, np.asarray(ev.value(graph.output)), scale):
        problems.append(f"tape loss {_show(loss)}, engine {_show(ev.value(graph.output))}")
    for n in params:
        if not _close(tape.gradient(ids[n]), ref_grads[n], scale):
            problems.append(f"tape ∂out/∂{n}: {_show(tape.gradient(ids[n]))}, autograd "
                            f"{_show(ref_grads[n])}")
    lr = 0.1
    step = update(ev, lr, params)
    expected = {s["name"]: s["new"] for s in step["params"]}
    for n in params:  # the trainer's own update, in place on the tape's arrays
        value = tape.values[ids[n]]
        g = tape.grads[ids[n]]
        if g is not None:
            value -= lr * g
        if not _close(value, expected[n], scale):
            problems.append(f"tape update of {n}: {_show(value)}, engine {_show(expected[n])}")
    after = {**program.values, **{n: expected[n].tolist() for n in params}}
    ev2 = evaluate(graph, after)
    with np.errstate(all="ignore"):
        loss2 = tape.forward()
        tape.backward()
    scale2 = max(scale, float(np.max(np.abs(ev2.value(graph.output)))))
    if not _close(loss2, ev2.value(graph.output), scale2):
        problems.append(f"tape loss after the update {_show(loss2)}, engine "
                        f"{_show(ev2.value(graph.output))}")
    for n in params:
        g2 = ev2.grad(ids[n])
        ours = tape.gradient(ids[n])
        if g2 is not None and not _close(ours, g2, scale2):
            problems.append(f"tape ∂out/∂{n} after the update: {_show(ours)}, engine "
                            f"{_show(g2)}")
    return problems


def generate(seed: int) -> Program:
    """The program of `seed`: every other one ends in a scalar (so the training tape is
    checked too), and one in eight is a wide network of scalar neurons."""
    return Generator(seed, scalar_output=seed % 2 == 0, wide=seed % 8 == 3).program()


def run(seed: int) -> Report:
    """Generate the program of `seed` and check it."""
    with np.errstate(all="ignore"):
        return check(generate(seed), seed)


# -- programs written by hand, checked the same way ---------------------------------------

BINARY_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow", "@": "matmul"}


def from_source(source: str, values: dict[str, Any] | None = None,
                seed: Any = None) -> Program:
    """A program written by hand, with its reference built from the syntax tree and the
    autograd table above (the names that are the labels of pick or cross_entropy are
    class labels). The last statement must assign a name."""
    values = dict(values or {})
    parsed = parse(source)
    inputs: dict[str, np.ndarray] = {}
    labels: set[str] = set()
    statements: list[tuple[str, Expr]] = []
    env: Env = {}
    table = {op.function: name for name, op in _registry().items() if op.function}

    def lower(expr: Any) -> Expr:
        done: dict[int, Expr] = {}
        for node in postorder(expr):
            kids = [done[id(k)] for k in children(node)]
            if isinstance(node, Num | ListLit):
                value = (np.asarray(node.value, dtype=float) if isinstance(node, Num) else
                         np.asarray(node.flat, dtype=float).reshape(node.shape))
                e = Expr("", lambda env, v=value: v, value.shape, value, constant=True)
            elif isinstance(node, Name):
                if node.id not in env:  # an input the request gives
                    inputs[node.id] = np.asarray(values[node.id], dtype=float)
                    env[node.id] = inputs[node.id]
                e = Expr(node.id, lambda env, n=node.id: env[n], np.shape(env[node.id]),
                         np.asarray(env[node.id]))
            elif isinstance(node, Unary):
                op = "neg" if node.op == "neg" else "identity"
                e = _applied(op, kids, (), env)
            elif isinstance(node, Binary):
                e = _applied(BINARY_OPS[node.op], kids, (), env)
            else:
                op = table[node.func]
                if op in ("pick", "cross_entropy") and isinstance(node.args[1], Name):
                    labels.add(node.args[1].id)
                e = _applied(op, kids, tuple(node.params), env)
            done[id(node)] = e
        return done[id(expr)]

    for stmt in parsed.statements:
        name = stmt.target
        literal = literal_value(stmt.expr)
        if literal is not None and stmt is not parsed.statements[-1]:
            value = np.asarray(values.get(name, literal), dtype=float)
            inputs[name] = env[name] = value
            continue
        e = lower(stmt.expr)
        if isinstance(stmt.expr, Name):
            e = _applied("identity", [e], (), env)
        statements.append((name, e))
        env[name] = e.value
    request = {n: v for n, v in values.items()}
    ops = set().union(*(e.ops for _, e in statements))
    return Program(source, request, inputs, labels, statements,
                   None if seed is None else np.asarray(seed, dtype=float), ops)


def _applied(op: str, args: list[Expr], params: tuple, env: Env) -> Expr:
    fn = REFERENCE[op]
    refs = [a.ref for a in args]

    def ref(env: Env) -> Any:
        return fn(*[r(env) for r in refs], *params)
    value = np.asarray(ref(env), dtype=float)
    ops = frozenset({op}).union(*(a.ops for a in args))
    return Expr("", ref, value.shape, value, ops, all(a.constant for a in args))


def _registry() -> dict[str, Any]:
    from app.ops import REGISTRY
    return REGISTRY


# -- which memory layouts reached which op ----------------------------------------------

def layouts(*arrays: Any) -> set[str]:
    """What is unusual about these arrays' memory: 'strided' (not C-contiguous: a transpose,
    Fortran order, a slice), 'broadcast' (a stride of 0, numpy's broadcast_to), 'readonly'."""
    seen = set()
    for x in arrays:
        if not isinstance(x, np.ndarray) or x.ndim == 0 or x.size < 2:
            continue
        if not x.flags.c_contiguous:
            seen.add("strided")
        if 0 in x.strides:
            seen.add("broadcast")
        if not x.flags.writeable:
            seen.add("readonly")
    return seen


@contextmanager
def watching() -> Iterator[dict[tuple[str, str], set[str]]]:
    """While inside, every registry function records the layouts of what it is given:
    seen[(op, "forward" | "backward")] is the set of layouts of `layouts`."""
    from app.ops import REGISTRY
    seen: dict[tuple[str, str], set[str]] = {}
    original = dict(REGISTRY)

    def spy(name: str, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seen.setdefault((name, phase), set()).update(layouts(*args))
            return fn(*args, **kwargs)
        return wrapped

    for name, op in original.items():
        changes: dict[str, Any] = {"forward": spy(name, "forward", op.forward)}
        if op.vjp is not None:
            changes["vjp"] = spy(name, "backward", op.vjp)
        else:
            changes["partials"] = tuple(spy(name, "backward", p) for p in op.partials)
        REGISTRY[name] = replace(op, **changes)
    try:
        yield seen
    finally:
        REGISTRY.update(original)
