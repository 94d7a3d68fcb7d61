"""Elementwise ops: arithmetic operators and the activation functions.

Each entry's partials give ∂out/∂input elementwise, as functions of the
output `y` and the inputs; the engine multiplies them by the upstream
gradient and sums broadcast axes away. Conventions from DESIGN.md:
relu'(0) = 0, abs'(0) = 0, max/min send the gradient to the winner and
split it evenly on a tie.

Each entry also carries its code templates (`Code`: forward expression and
local derivatives, for `math` and numpy) and, where the op has a kink, the
side function that locates it. Batching is derived for all of them
(`Op.batched`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from app.ops.registry import Code, Op, Site, broadcast_shape, register


def _one(y, *xs):
    return 1.0


def _minus_one(y, *xs):
    return -1.0


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _pow_base(y, a, b):
    return b * np.power(a, b - 1.0)


def _pow_exponent(y, a, b):
    # d(a^b)/db = a^b ln a: defined for a > 0; at a = 0 the limit is 0 for b > 0.
    return np.where(a > 0, y * np.log(np.where(a > 0, a, 1.0)), np.where(a == 0, 0.0, np.nan))


def _wins(a, b):
    return np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0))


def _side(a, b=None):
    """Positive on one side of a kink, negative on the other, 0 on it."""
    return np.sign(a) if b is None else np.sign(a - b)


def _literal(site: Site, k: int) -> float | None:
    value = site.literals[k]
    if value is None or np.shape(value) != ():
        return None
    return float(value)


def _dpow_base(site: Site) -> str:
    """b·a^(b−1), simplified when b is a number written in the program: 2·a for a², as seed 000."""
    b = _literal(site, 1)
    if b == 2:
        return f"2 * {site.a}"
    if b is not None:
        return f"{site.number(b)} * {site.a} ** {site.number(b - 1)}"
    return f"{site.b} * {site.a} ** ({site.b} - 1)"


def _dpow_exponent(lib: str) -> Callable[[Site], str]:
    """a^b·ln a, which the engine takes as 0 at a = 0 (its limit for b > 0)."""
    def template(site: Site) -> str:
        a = _literal(site, 0)
        if a is not None and a > 0:
            return f"{site.y} * {lib}.log({site.a})"
        if lib == "math":
            return f"({site.y} * math.log({site.a}) if {site.a} > 0 else 0.0)"
        return (f"np.where({site.a} > 0, {site.y} * np.log(np.where({site.a} > 0, {site.a}, 1.0)),"
                f" np.where({site.a} == 0, 0.0, np.nan))")
    return template


def _lib(name: str, local_math: str, local_numpy: str | None = None) -> Code:
    """A function of one input written `math.name(a)` or `np.name(a)`."""
    return Code(math=f"math.{name}({{a}})", numpy=f"np.{name}({{a}})", dmath=(local_math,),
                dnumpy=(local_numpy or local_math.replace("math.", "np."),))


def _elementwise(name: str, arity: int, symbol: str, description: str, forward,
                 partials: tuple, formulas: tuple[str, ...], **extra) -> Op:
    return register(Op(name=name, arity=arity, symbol=symbol, description=description,
                       forward=forward, partials=partials, formulas=formulas,
                       shape=broadcast_shape, **extra))


_elementwise("add", 2, "+", "a + b", operator.add, (_one, _one),
             ("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1"),
             local=("1", "1"),
             operator="+", stage_name="{a}p{b}",
             notation="{a} + {b}", pattern="distributes",
             code=Code.same("{a} + {b}", ("1", "1")))
_elementwise("sub", 2, "−", "a − b", operator.sub, (_one, _minus_one),
             ("∂(a−b)/∂a = 1", "∂(a−b)/∂b = −1"),
             local=("1", "−1"),
             operator="-", stage_name="{a}m{b}",
             notation="{a} − {b}", pattern="distributes",
             code=Code.same("{a} - {b}", ("1", "-1")))
_elementwise("mul", 2, "×", "a · b", operator.mul,
             (lambda y, a, b: b, lambda y, a, b: a),
             ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a"),
             local=("{b}", "{a}"),
             operator="*", stage_name="{a}{b}",
             notation="{a} · {b}", pattern="swaps",
             code=Code.same("{a} * {b}", ("{b}", "{a}")))
_elementwise("div", 2, "÷", "a / b", operator.truediv,
             (lambda y, a, b: 1.0 / b, lambda y, a, b: -a / (b * b)),
             ("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²"),
             local=("1/{b}", "−{a}/{b}²"),
             operator="/", notation="{a} / {b}",
             stage_name="{a}over{b}",
             domain="division by zero gives ±∞, and 0/0 is NaN",
             code=Code.same("{a} / {b}", ("1.0 / {b}", "-{a} / {b}**2")))
_elementwise("pow", 2, "^", "a to the power b", np.power, (_pow_base, _pow_exponent),
             ("∂(aᵇ)/∂a = b·aᵇ⁻¹", "∂(aᵇ)/∂b = aᵇ·ln a"),
             local=("{b}·{a}^({b} − 1)", "{a}^{b}·ln({a})"),
             operator="^", notation="{a} ^ {b}",
             stage_name="{a}pow{b}",
             domain="a negative number to a fractional power is NaN, and large powers "
                    "overflow to ∞",
             code=Code(math="{a}**{b}", numpy="{a}**{b}",
                       dmath=(_dpow_base, _dpow_exponent("math")),
                       dnumpy=(_dpow_base, _dpow_exponent("np"))))
_elementwise("neg", 1, "−", "−a", operator.neg, (_minus_one,), ("∂(−a)/∂a = −1",),
             local=("−1",),
             operator="-", notation="−{a}", stage_name="neg{a}", code=Code.same("-{a}", ("-1",)))
_elementwise("identity", 1, "=", "a second name for a value", lambda a: a * 1.0, (_one,),
             ("∂a/∂a = 1",),
             local=("1",),
             notation="{a}", code=Code.same("{a}", ("1",)))
_elementwise("exp", 1, "exp", "e to the power a", np.exp, (lambda y, a: y,),
             ("∂eᵃ/∂a = eᵃ",),
             local=("exp({a})",),
             function="exp", stage_name="exp{a}",
             domain="exp overflows to ∞ above about 709.78", code=_lib("exp", "{y}"))
_elementwise("log", 1, "log", "natural logarithm", np.log, (lambda y, a: 1.0 / a,),
             ("∂ln a/∂a = 1/a",),
             local=("1/{a}",),
             function="log", stage_name="log{a}",
             domain="log is defined only for positive numbers: log 0 is −∞, and the log of "
                    "a negative number is not a real number (NaN)", code=_lib("log", "1.0 / {a}"))
_elementwise("sqrt", 1, "√", "square root", np.sqrt, (lambda y, a: 0.5 / y,),
             ("∂√a/∂a = 1/(2√a)",),
             local=("1/(2√{a})",),
             function="sqrt", stage_name="sqrt{a}",
             domain="the square root of a negative number is NaN, and its slope at 0 is ∞",
             code=_lib("sqrt", "0.5 / {y}"))
_elementwise("sin", 1, "sin", "sine", np.sin, (lambda y, a: np.cos(a),),
             ("∂sin a/∂a = cos a",),
             local=("cos({a})",),
             function="sin", stage_name="sin{a}",
             code=_lib("sin", "math.cos({a})"))
_elementwise("cos", 1, "cos", "cosine", np.cos, (lambda y, a: -np.sin(a),),
             ("∂cos a/∂a = −sin a",),
             local=("−sin({a})",),
             function="cos", stage_name="cos{a}",
             code=_lib("cos", "-math.sin({a})"))
_elementwise("tanh", 1, "tanh", "hyperbolic tangent", np.tanh,
             (lambda y, a: 1.0 - y * y,), ("tanh'(a) = 1 − tanh²(a)",),
             local=("1 − tanh²({a})",),
             function="tanh",
             stage_name="tanh{a}",
             expansion="(exp(a) - exp(-a)) / (exp(a) + exp(-a))",
             code=_lib("tanh", "1 - {y}**2"))
_elementwise("sigmoid", 1, "σ", "logistic sigmoid 1/(1+e⁻ᵃ)", _sigmoid,
             (lambda y, a: y * (1.0 - y),), ("σ'(a) = σ(a)(1−σ(a))",),
             local=("σ({a})(1 − σ({a}))",), factors=(lambda y, a: (y, 1.0 - y),),
             function="sigmoid",
             stage_name="sig{a}",
             expansion="1 / (exp(a * -1) + 1)",
             code=Code(math="1.0 / (1 + math.exp(-{a}))", numpy="1.0 / (1 + np.exp(-{a}))",
                       dmath=("(1 - {y}) * {y}",), dnumpy=("(1 - {y}) * {y}",)))
_elementwise("relu", 1, "relu", "max(0, a)", lambda a: np.maximum(a, 0.0),
             (lambda y, a: np.where(a > 0, 1.0, 0.0),),
             ("relu'(a) = 1 if a > 0 else 0",),
             local=("(1 if {a} > 0 else 0)",),
             function="relu", stage_name="relu{a}", kink=_side,
             code=Code(math="max({a}, 0.0)", numpy="np.maximum({a}, 0.0)",
                       dmath=("1.0 if {a} > 0 else 0.0",),
                       dnumpy=("np.where({a} > 0, 1.0, 0.0)",)))
_elementwise("abs", 1, "|a|", "absolute value", np.abs, (lambda y, a: np.sign(a),),
             ("∂|a|/∂a = sign(a)",),
             local=("sign({a})",),
             function="abs", stage_name="abs{a}", kink=_side,
             code=Code(math="abs({a})", numpy="np.abs({a})",
                       dmath=("1.0 if {a} > 0 else -1.0 if {a} < 0 else 0.0",),
                       dnumpy=("np.sign({a})",)))
_elementwise("max", 2, "max", "the larger of a and b", np.maximum,
             (lambda y, a, b: _wins(a, b), lambda y, a, b: _wins(b, a)),
             ("∂max/∂a = 1 if a > b, ½ on a tie, else 0",
              "∂max/∂b = 1 if b > a, ½ on a tie, else 0"), function="max", kink=_side,
             stage_name="max{a}{b}",
             pattern="routes_larger",
             code=Code(math="max({a}, {b})", numpy="np.maximum({a}, {b})",
                       dmath=("1.0 if {a} > {b} else 0.5 if {a} == {b} else 0.0",
                              "1.0 if {b} > {a} else 0.5 if {a} == {b} else 0.0"),
                       dnumpy=("np.where({a} > {b}, 1.0, np.where({a} == {b}, 0.5, 0.0))",
                               "np.where({b} > {a}, 1.0, np.where({a} == {b}, 0.5, 0.0))")))
_elementwise("min", 2, "min", "the smaller of a and b", np.minimum,
             (lambda y, a, b: _wins(b, a), lambda y, a, b: _wins(a, b)),
             ("∂min/∂a = 1 if a < b, ½ on a tie, else 0",
              "∂min/∂b = 1 if b < a, ½ on a tie, else 0"), function="min", kink=_side,
             stage_name="min{a}{b}",
             pattern="routes_smaller",
             code=Code(math="min({a}, {b})", numpy="np.minimum({a}, {b})",
                       dmath=("1.0 if {a} < {b} else 0.5 if {a} == {b} else 0.0",
                              "1.0 if {b} < {a} else 0.5 if {a} == {b} else 0.0"),
                       dnumpy=("np.where({a} < {b}, 1.0, np.where({a} == {b}, 0.5, 0.0))",
                               "np.where({b} < {a}, 1.0, np.where({a} == {b}, 0.5, 0.0))")))
