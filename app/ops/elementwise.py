"""Elementwise ops: arithmetic operators and the activation functions.

Each entry's partials give ∂out/∂input elementwise, as functions of the
output `y` and the inputs; the engine multiplies them by the upstream
gradient and sums broadcast axes away. Conventions from DESIGN.md:
relu'(0) = 0, abs'(0) = 0, max/min send the gradient to the winner and
split it evenly on a tie.
"""

from __future__ import annotations

import operator

import numpy as np

from app.ops.registry import Op, broadcast_shape, register


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


def _elementwise(name: str, arity: int, symbol: str, description: str, forward,
                 partials: tuple, formulas: tuple[str, ...], **extra) -> Op:
    return register(Op(name=name, arity=arity, symbol=symbol, description=description,
                       forward=forward, partials=partials, formulas=formulas,
                       shape=broadcast_shape, **extra))


_elementwise("add", 2, "+", "a + b", operator.add, (_one, _one),
             ("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1"), operator="+")
_elementwise("sub", 2, "−", "a − b", operator.sub, (_one, _minus_one),
             ("∂(a−b)/∂a = 1", "∂(a−b)/∂b = −1"), operator="-")
_elementwise("mul", 2, "×", "a · b", operator.mul,
             (lambda y, a, b: b, lambda y, a, b: a),
             ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a"), operator="*")
_elementwise("div", 2, "÷", "a / b", operator.truediv,
             (lambda y, a, b: 1.0 / b, lambda y, a, b: -a / (b * b)),
             ("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²"), operator="/",
             domain="division by zero gives ±∞, and 0/0 is NaN")
_elementwise("pow", 2, "^", "a to the power b", np.power, (_pow_base, _pow_exponent),
             ("∂(aᵇ)/∂a = b·aᵇ⁻¹", "∂(aᵇ)/∂b = aᵇ·ln a"), operator="^",
             domain="a negative number to a fractional power is NaN, and large powers "
                    "overflow to ∞")
_elementwise("neg", 1, "−", "−a", operator.neg, (_minus_one,), ("∂(−a)/∂a = −1",),
             operator="-")
_elementwise("identity", 1, "=", "a second name for a value", lambda a: a * 1.0, (_one,),
             ("∂a/∂a = 1",))
_elementwise("exp", 1, "exp", "e to the power a", np.exp, (lambda y, a: y,),
             ("∂eᵃ/∂a = eᵃ",), function="exp",
             domain="exp overflows to ∞ above about 709.78")
_elementwise("log", 1, "log", "natural logarithm", np.log, (lambda y, a: 1.0 / a,),
             ("∂ln a/∂a = 1/a",), function="log",
             domain="log is defined only for positive numbers: log 0 = −∞, and the log of "
                    "a negative number is NaN")
_elementwise("sqrt", 1, "√", "square root", np.sqrt, (lambda y, a: 0.5 / y,),
             ("∂√a/∂a = 1/(2√a)",), function="sqrt",
             domain="the square root of a negative number is NaN, and its slope at 0 is ∞")
_elementwise("sin", 1, "sin", "sine", np.sin, (lambda y, a: np.cos(a),),
             ("∂sin a/∂a = cos a",), function="sin")
_elementwise("cos", 1, "cos", "cosine", np.cos, (lambda y, a: -np.sin(a),),
             ("∂cos a/∂a = −sin a",), function="cos")
_elementwise("tanh", 1, "tanh", "hyperbolic tangent", np.tanh,
             (lambda y, a: 1.0 - y * y,), ("tanh'(a) = 1 − tanh²(a)",), function="tanh",
             expansion="(exp(a) - exp(-a)) / (exp(a) + exp(-a))")
_elementwise("sigmoid", 1, "σ", "logistic sigmoid 1/(1+e⁻ᵃ)", _sigmoid,
             (lambda y, a: y * (1.0 - y),), ("σ'(a) = σ(a)(1−σ(a))",), function="sigmoid",
             expansion="1 / (exp(a * -1) + 1)")
_elementwise("relu", 1, "relu", "max(0, a)", lambda a: np.maximum(a, 0.0),
             (lambda y, a: np.where(a > 0, 1.0, 0.0),),
             ("relu'(a) = 1 if a > 0 else 0",), function="relu")
_elementwise("abs", 1, "|a|", "absolute value", np.abs, (lambda y, a: np.sign(a),),
             ("∂|a|/∂a = sign(a)",), function="abs")
_elementwise("max", 2, "max", "the larger of a and b", np.maximum,
             (lambda y, a, b: _wins(a, b), lambda y, a, b: _wins(b, a)),
             ("∂max/∂a = 1 if a > b, ½ on a tie, else 0",
              "∂max/∂b = 1 if b > a, ½ on a tie, else 0"), function="max")
_elementwise("min", 2, "min", "the smaller of a and b", np.minimum,
             (lambda y, a, b: _wins(b, a), lambda y, a, b: _wins(a, b)),
             ("∂min/∂a = 1 if a < b, ½ on a tie, else 0",
              "∂min/∂b = 1 if b < a, ½ on a tie, else 0"), function="min")
