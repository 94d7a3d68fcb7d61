"""Tensor ops whose Jacobian is not diagonal: matrix product, reductions, transpose.

These give a vector-Jacobian product instead of partials: cs231n's point that
backprop never builds the full Jacobian, it only multiplies by it.
"""

from __future__ import annotations

import numpy as np

from app.ops.registry import Op, Param, Shape, ShapeError, register, unbroadcast


def _swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def _matmul_shape(a: Shape, b: Shape) -> Shape:
    if not a or not b:
        raise ShapeError("@ needs vectors or matrices; use * to multiply by a scalar")
    inner_a = a[-1]
    inner_b = b[-2] if len(b) >= 2 else b[0]
    if inner_a != inner_b:
        raise ShapeError(f"inner sizes {inner_a} and {inner_b} differ")
    batch_a = a[:-2]
    batch_b = b[:-2]
    try:
        batch = tuple(np.broadcast_shapes(batch_a, batch_b))
    except ValueError:
        raise ShapeError(f"batch shapes {batch_a} and {batch_b} do not broadcast") from None
    rows = (a[-2],) if len(a) >= 2 else ()
    cols = (b[-1],) if len(b) >= 2 else ()
    return batch + rows + cols


def _matmul_vjp(g, y, a, b):
    g = np.asarray(g, dtype=float)
    if a.ndim == 1 and b.ndim == 1:
        return g * b, g * a
    if a.ndim == 1:
        ga = (g[..., None, :] @ _swap(b))[..., 0, :]
        gb = a[:, None] * g[..., None, :]
    elif b.ndim == 1:
        ga = g[..., :, None] * b
        gb = (_swap(a) @ g[..., :, None])[..., 0]
    else:
        ga = g @ _swap(b)
        gb = _swap(a) @ g
    return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)


def _axis(shape: Shape, axis: int | None) -> int | None:
    if axis is None:
        return None
    if not -len(shape) <= axis < len(shape):
        raise ShapeError(f"axis {axis} is out of range for shape {shape}")
    return axis % len(shape)


def _reduce_shape(x: Shape, axis: int | None = None) -> Shape:
    ax = _axis(x, axis)
    if ax is None:
        return ()
    return x[:ax] + x[ax + 1:]


def _sum_vjp(g, y, x, axis=None):
    ax = _axis(x.shape, axis)
    g = np.asarray(g, dtype=float)
    if ax is not None:
        g = np.expand_dims(g, ax)
    return (np.broadcast_to(g, x.shape),)


def _mean_vjp(g, y, x, axis=None):
    ax = _axis(x.shape, axis)
    count = x.size if ax is None else x.shape[ax]
    (full,) = _sum_vjp(g, y, x, axis)
    return (full / max(count, 1),)


register(Op(
    name="matmul", arity=2, symbol="@", operator="@",
    description="matrix product (numpy's @): vectors and matrices, batch dims broadcast",
    forward=np.matmul, vjp=_matmul_vjp, shape=_matmul_shape,
    formulas=("∂(A@B)/∂A: dA = dY · Bᵀ", "∂(A@B)/∂B: dB = Aᵀ · dY"),
))
register(Op(
    name="sum", arity=1, symbol="Σ", function="sum",
    description="sum of all elements, or along an axis: sum(x) or sum(x, 0)",
    forward=lambda x, axis=None: np.sum(x, axis=axis), vjp=_sum_vjp, shape=_reduce_shape,
    params=(Param("axis"),), formulas=("∂(Σx)/∂xᵢ = 1: the gradient is copied to every element",),
))
register(Op(
    name="mean", arity=1, symbol="mean", function="mean",
    description="mean of all elements, or along an axis: mean(x) or mean(x, 0)",
    forward=lambda x, axis=None: np.mean(x, axis=axis), vjp=_mean_vjp, shape=_reduce_shape,
    params=(Param("axis"),), formulas=("∂mean(x)/∂xᵢ = 1/n",),
))
register(Op(
    name="transpose", arity=1, symbol="ᵀ", function="transpose",
    description="reverse the axes (a matrix's transpose; a vector is unchanged)",
    forward=np.transpose, vjp=lambda g, y, x: (np.transpose(g),),
    shape=lambda x: tuple(reversed(x)), formulas=("∂(xᵀ)/∂x: dx = (dy)ᵀ",),
))
