"""Python functions as circuits: trace the numbers, as micrograd's `Value` records its graph.

`trace_source(fn, inputs)` calls `fn` with a `Var` for each input. A Var holds its
value (computed at once by the op registry's own forward functions, so control flow can
look at it) and the record of the op that made it; its operators (`+ - * / ** @`, unary
minus, `abs()`) and the catalogue's functions (`FUNCTIONS`: exp, sigmoid, sum, …) add
records. The user's function is never parsed or evaluated from text: program text comes
out of the tape (and `app.lab` builds the circuit from it with the circuit language's own
parser, the one path every circuit takes).

What comes out is the program of the circuit language that builds the same circuit:
one line per input with its value (`x = -2`), then the gates the output depends on, in
the order Python computed them — a value used once written inline where it is used, a
value used more than once (or nested deeper than MAX_INLINE) named `t1, t2, …`, and the
output named after the function. Operands are parenthesised exactly where the
language's precedence (that of Python, with `^` for power) would otherwise group them
differently, so the program's tree is the traced one: `b + w1*x1 + w2*x2` for a loop that
adds one product at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.ops import REGISTRY
from app.ops.registry import Op

MAX_INLINE = 8  # an expression nested deeper than this is named instead (the language allows 64)

# How tightly each op binds, as the language parses it: a lower level needs parentheses
# inside a higher one. Calls, names and literals are atoms.
ADDITIVE, MULTIPLICATIVE, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
BINARY = {"add": ("+", ADDITIVE), "sub": ("-", ADDITIVE), "mul": ("*", MULTIPLICATIVE),
          "div": ("/", MULTIPLICATIVE), "matmul": ("@", MULTIPLICATIVE), "pow": ("^", POWER)}


@dataclass(frozen=True)
class Record:
    """One traced op: what it is, its operands (Vars or constants), its params."""

    op: str
    args: tuple[Any, ...]
    params: tuple[int, ...] = ()
    name: str | None = None  # an input's name


class Tape:
    """The records of one trace, in the order Python computed them."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, record: Record, value: Any) -> Var:
        self.records.append(record)
        return Var(self, len(self.records) - 1, value)


class Var:
    """A traced number or tensor: its value, and where it came from.

    Arithmetic with Vars (and with plain numbers or numpy arrays, which become constants)
    makes Vars; comparing a traced scalar compares its value, so `if x > 0:` takes the
    branch these numbers take. `.value` (or micrograd's `.data`) is the number.
    """

    __slots__ = ("tape", "index", "value")
    __array_ufunc__ = None  # numpy defers to our reflected operators: np.float64(2) * x

    def __init__(self, tape: Tape, index: int, value: Any) -> None:
        self.tape = tape
        self.index = index
        self.value = value

    @property
    def data(self) -> Any:
        return self.value

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.value))

    @property
    def T(self) -> Var:  # noqa: N802 (numpy's name)
        result: Var = apply(REGISTRY["transpose"], (self,))
        return result

    def __repr__(self) -> str:
        return f"Var({self.value!r})"

    # arithmetic
    def __add__(self, other: Any) -> Any: return apply(REGISTRY["add"], (self, other))
    def __radd__(self, other: Any) -> Any: return apply(REGISTRY["add"], (other, self))
    def __sub__(self, other: Any) -> Any: return apply(REGISTRY["sub"], (self, other))
    def __rsub__(self, other: Any) -> Any: return apply(REGISTRY["sub"], (other, self))
    def __mul__(self, other: Any) -> Any: return apply(REGISTRY["mul"], (self, other))
    def __rmul__(self, other: Any) -> Any: return apply(REGISTRY["mul"], (other, self))
    def __truediv__(self, other: Any) -> Any: return apply(REGISTRY["div"], (self, other))
    def __rtruediv__(self, other: Any) -> Any: return apply(REGISTRY["div"], (other, self))
    def __pow__(self, other: Any) -> Any: return apply(REGISTRY["pow"], (self, other))
    def __rpow__(self, other: Any) -> Any: return apply(REGISTRY["pow"], (other, self))
    def __matmul__(self, other: Any) -> Any: return apply(REGISTRY["matmul"], (self, other))
    def __rmatmul__(self, other: Any) -> Any: return apply(REGISTRY["matmul"], (other, self))
    def __neg__(self) -> Any: return apply(REGISTRY["neg"], (self,))
    def __pos__(self) -> Var: return self
    def __abs__(self) -> Any: return apply(REGISTRY["abs"], (self,))

    # comparisons look at the value: control flow follows these numbers
    def _scalar(self, what: str) -> float:
        if np.ndim(self.value):
            raise TypeError(f"{what} a traced tensor of shape {self.shape}: only a traced "
                            "scalar has one truth value")
        return float(self.value)

    def __lt__(self, other: Any) -> bool: return self._scalar("comparing") < _value(other)
    def __le__(self, other: Any) -> bool: return self._scalar("comparing") <= _value(other)
    def __gt__(self, other: Any) -> bool: return self._scalar("comparing") > _value(other)
    def __ge__(self, other: Any) -> bool: return self._scalar("comparing") >= _value(other)

    def __float__(self) -> float:
        return self._scalar("float() of")

    def __bool__(self) -> bool:
        raise TypeError("a traced number has no truth value of its own: compare it "
                        "(`if x > 0:`) to branch on its value")

    def __iter__(self) -> Any:
        raise TypeError("a traced tensor cannot be indexed or looped over (the circuit "
                        "language has no indexing); give the input as a list to trace "
                        "scalars one by one")


def _value(x: Any) -> Any:
    return x.value if isinstance(x, Var) else x


def apply(op: Op, operands: tuple[Any, ...], params: tuple[int, ...] = ()) -> Any:
    """`op` on operands: a Var recorded on their tape, or, when no operand is traced, the
    plain value (so `lab.exp(1.0)` is just a number)."""
    tapes = {x.tape for x in operands if isinstance(x, Var)}
    if len(tapes) > 1:
        raise ValueError("these numbers come from two different traces")
    for x in operands:
        if not isinstance(x, Var):
            _check_constant(x)
    named = {p.name: v for p, v in zip(op.params, params, strict=False)}
    with np.errstate(all="ignore"):  # 1/0 is ∞ here, as in the engine
        arrays = [np.asarray(_value(x), dtype=float) for x in operands]
        value = op.forward(*arrays, **named)
    value = float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)
    if not tapes:
        return value
    args = tuple(x if isinstance(x, Var) else _constant(x) for x in operands)
    return tapes.pop().add(Record(op.name, args, params), value)


def _check_constant(x: Any) -> None:
    if isinstance(x, bool) or not isinstance(x, int | float | np.ndarray | np.generic | list
                                             | tuple):
        raise TypeError(f"cannot trace an operation with {type(x).__name__} {x!r}: numbers, "
                        "lists of numbers and numpy arrays only")
    if not np.all(np.isfinite(np.asarray(x, dtype=float))):
        raise ValueError(f"a constant {x!r} that is not finite has no literal in the circuit "
                         "language; give it as an input")


def _constant(x: Any) -> Any:
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


def _function(op: Op) -> Callable[..., Any]:
    """The catalogue op as a Python function: `arity` operands, then its integer params."""
    def fn(*args: Any) -> Any:
        operands, params = args[:op.arity], args[op.arity:]
        if len(operands) < op.arity:
            raise TypeError(f"{op.function}() takes {op.arity} operand(s), got {len(operands)}")
        required = sum(1 for p in op.params if p.required)
        if not required <= len(params) <= len(op.params):
            listed = ", ".join(p.name for p in op.params) or "none"
            raise TypeError(f"{op.function}() takes {required} to {len(op.params)} integer "
                            f"parameter(s) after its operands ({listed}), got {len(params)}")
        if any(isinstance(p, bool) or not isinstance(p, int | np.integer) for p in params):
            raise TypeError(f"{op.function}()'s parameters are whole numbers, got {params!r}")
        return apply(op, tuple(operands), tuple(int(p) for p in params))

    assert op.function is not None
    fn.__name__ = fn.__qualname__ = op.function
    fn.__doc__ = f"{op.description}. Traced as the {op.symbol} gate: {'; '.join(op.formulas)}"
    return fn


# lab.exp, lab.sigmoid, lab.sum, …: every op a program calls by name.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    op.function: _function(op) for op in REGISTRY.values() if op.function}


def _method(name: str) -> Callable[..., Any]:
    def method(self: Var, *params: Any) -> Any:
        return FUNCTIONS[name](self, *params)
    method.__name__ = name
    method.__doc__ = FUNCTIONS[name].__doc__
    return method


# micrograd's spelling too: x.tanh(), x.exp(), x.relu(), h.sum(0), …
for _op in REGISTRY.values():
    if _op.function and _op.arity == 1 and not hasattr(Var, _op.function):
        setattr(Var, _op.function, _method(_op.function))


# -- from the tape to the program --------------------------------------------------------

def number(x: float) -> str:
    """A number as the language writes it, exactly: repr's shortest round trip."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{x} has no literal in the circuit language")
    if x.is_integer() and abs(x) < 1e15 and not (x == 0 and math.copysign(1, x) < 0):
        return str(int(x))
    return repr(x)


def literal(x: Any) -> str:
    """A number or a nested list of numbers."""
    if isinstance(x, np.ndarray) and x.ndim:
        return "[" + ", ".join(literal(v) for v in x) + "]"
    return number(float(x))


def _input_value(name: str, value: Any) -> Any:
    if isinstance(value, Var):
        raise TypeError(f"the input {name!r} is already a traced value")
    if isinstance(value, bool) or not isinstance(value, int | float | np.ndarray | np.generic):
        raise TypeError(f"the input {name!r} must be a number, a list of numbers or a numpy "
                        f"array, not {type(value).__name__}")
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"the input {name!r} is not finite: a program's defaults are "
                         "numbers (give NaN or ∞ through lab.circuit's values instead)")
    return float(arr) if arr.ndim == 0 else arr


def trace_source(fn: Callable[..., Any], inputs: Mapping[str, Any]) -> str:
    """Call `fn` on traced inputs and return the circuit-language program of its result."""
    if not inputs:
        raise TypeError("trace needs the inputs' values as keywords: trace(fn, x=1.0)")
    tape = Tape()
    taken = set(inputs)
    names: dict[int, str] = {}  # record index -> its name in the program
    arguments: dict[str, Any] = {}
    order: list[tuple[str, Any]] = []

    def var(name: str, value: Any) -> Var:
        v = tape.add(Record("input", (), name=name), _input_value(name, value))
        names[v.index] = name
        order.append((name, v.value))
        return v

    def build(name: str, value: Any, nested: bool) -> Any:
        if not isinstance(value, list | tuple):
            return var(name, value)
        out = []
        for k, item in enumerate(value, start=1):
            element = f"{name}_{k}" if nested or not name[-1:].isalpha() else f"{name}{k}"
            if element in taken:
                element = f"{name}_{k}"
            if element in taken:
                raise ValueError(f"the list {name!r} would name its element {k} "
                                 f"{element!r}, which is already an input's name")
            taken.add(element)
            out.append(build(element, item, True))
        return type(value)(out) if isinstance(value, tuple) else out

    for name, value in inputs.items():
        arguments[name] = build(name, value, False)
    result = fn(**arguments)
    if isinstance(result, list | tuple):
        raise TypeError("the function returned several values: a circuit has one output")
    if not isinstance(result, Var) or result.tape is not tape:
        raise TypeError(f"the function returned {result!r}, which does not depend on its "
                        "inputs: a circuit's output is a traced value")
    out_name = _output_name(fn, taken)
    return _write(tape, result.index, names, out_name, order)


def _output_name(fn: Callable[..., Any], taken: set[str]) -> str:
    name = getattr(fn, "__name__", "")
    reserved = set(FUNCTIONS) | taken
    if not name.isidentifier() or name.startswith("_") or name in reserved or \
            name == "<lambda>" or len(name) > 32:
        name = "out"
    while name in reserved:
        name += "_"
    return name


def _write(tape: Tape, output: int, names: dict[int, str], out_name: str,
           order: list[tuple[str, Any]]) -> str:
    records = tape.records
    # the records the output depends on, and how often each is used by them
    live = {output}
    stack = [output]
    while stack:
        for arg in records[stack.pop()].args:
            if isinstance(arg, Var) and arg.index not in live:
                live.add(arg.index)
                stack.append(arg.index)
    uses: dict[int, int] = {}
    for i in live:
        for arg in records[i].args:
            if isinstance(arg, Var):
                uses[arg.index] = uses.get(arg.index, 0) + 1

    lines = [f"{name} = {literal(value)}" for name, value in order]
    inline: dict[int, tuple[str, int, int]] = {}  # record -> (text, level, depth)
    temps = iter(f"t{k}" for k in range(1, 1_000_000_000))
    reserved = set(names.values()) | {out_name}

    def fresh() -> str:
        name = next(temps)
        while name in reserved:
            name = next(temps)
        return name

    def operand(arg: Any) -> tuple[str, int, int]:
        if not isinstance(arg, Var):
            text = literal(arg)
            return (f"({text})" if text.startswith("-") else text), ATOM, 0
        if arg.index in names:
            return names[arg.index], ATOM, 0
        text, level, depth = inline.pop(arg.index)
        if depth >= MAX_INLINE:
            name = fresh()
            lines.append(f"{name} = {text}")
            names[arg.index] = name
            return name, ATOM, 0
        return text, level, depth

    for i in sorted(live):
        record = records[i]
        if record.op == "input":
            continue
        parts = [operand(arg) for arg in record.args]
        text, level = _render(record, parts)
        depth = 1 + max((d for _, _, d in parts), default=0)
        if i == output:
            lines.append(f"{out_name} = {text}")
        elif uses.get(i, 0) > 1:
            name = fresh()
            lines.append(f"{name} = {text}")
            names[i] = name
        else:
            inline[i] = (text, level, depth)
    if output in names and records[output].op == "input":
        lines.append(f"{out_name} = {names[output]}")  # the function returned an input
    return "\n".join(lines) + "\n"


def _render(record: Record, parts: list[tuple[str, int, int]]) -> tuple[str, int]:
    """The record's expression from its operands' texts, and its precedence level."""
    if record.op in BINARY:
        symbol, level = BINARY[record.op]
        (a, la, _), (b, lb, _) = parts
        if record.op == "pow":  # right-associative: (a^b)^c needs its parentheses
            a = f"({a})" if la <= level else a
            b = f"({b})" if lb < level else b
        else:  # left-associative: a - (b - c) needs its parentheses
            a = f"({a})" if la < level else a
            b = f"({b})" if lb <= level else b
        return f"{a} {symbol} {b}", level
    if record.op == "neg":
        (a, la, _), = parts
        return (f"-({a})" if la <= UNARY else f"-{a}"), UNARY
    op = REGISTRY[record.op]
    args = [text for text, _, _ in parts] + [str(p) for p in record.params]
    return f"{op.function}({', '.join(args)})", ATOM

