"""Tensor ops whose Jacobian is not diagonal: matrix product, reductions, transpose.

These give a vector-Jacobian product instead of partials: cs231n's point that
backprop never builds the full Jacobian, it only multiplies by it.

Each also gives its batching rule (the op on inputs with a leading batch axis:
reductions shift their axis, transpose keeps the batch axis first, matmul
lines up batch dimensions after promoting 1-D operands) and its code
templates: the numpy forward expression and each input's vjp in terms of the
upstream gradient `{g}`.
"""

from __future__ import annotations

import numpy as np

from app.ops.registry import (
    Code,
    Op,
    Param,
    Shape,
    ShapeError,
    Site,
    register,
    unbroadcast,
)


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
    if a.ndim == 2 and b.ndim == 2:  # matrices: nothing broadcast, nothing to sum away
        return g @ b.T, a.T @ g
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


def _matmul_batch(batched, a, b):
    """Row by row `a @ b`: promote 1-D operands to matrices, line up the batch dims, undo."""
    fa, fb = batched
    ra, rb = a.ndim - fa, b.ndim - fb
    if ra == 1:
        a = np.expand_dims(a, -2)
    if rb == 1:
        b = np.expand_dims(b, -1)
    da, db = max(ra, 2) - 2, max(rb, 2) - 2
    dims = max(da, db)
    if fa:
        a = a.reshape(a.shape[:1] + (1,) * (dims - da) + a.shape[1:])
    if fb:
        b = b.reshape(b.shape[:1] + (1,) * (dims - db) + b.shape[1:])
    y = a @ b
    if ra == 1 and rb == 1:
        return y[..., 0, 0]
    if rb == 1:
        return y[..., 0]
    if ra == 1:
        return y[..., 0, :]
    return y


def _matmul_code(k: int):
    """The vjp of `a @ b` into input k, written for the operands' shapes."""
    def template(site: Site) -> str:
        (sa, sb), a, b, g = site.shapes, site.a, site.b, site.g
        if len(sa) <= 2 and len(sb) <= 2:
            cases = {
                (1, 1): (f"{g} * {b}", f"{g} * {a}"),
                (2, 1): (f"np.outer({g}, {b})", f"{a}.T @ {g}"),
                (1, 2): (f"{b} @ {g}", f"np.outer({a}, {g})"),
                (2, 2): (f"{g} @ {b}.T", f"{a}.T @ {g}"),
            }
            return cases[len(sa), len(sb)][k]
        if len(sa) == 1:
            grads = (f"({g}[..., None, :] @ np.swapaxes({b}, -1, -2))[..., 0, :]",
                     f"{a}[:, None] * {g}[..., None, :]")
        elif len(sb) == 1:
            grads = (f"{g}[..., :, None] * {b}",
                     f"(np.swapaxes({a}, -1, -2) @ {g}[..., :, None])[..., 0]")
        else:
            grads = (f"{g} @ np.swapaxes({b}, -1, -2)", f"np.swapaxes({a}, -1, -2) @ {g}")
        return f"unbroadcast({grads[k]}, {site.args[k]}.shape)"
    return template


def _reduce_batch(reduce):
    def rule(batched, x, axis=None):
        ax = tuple(range(1, x.ndim)) if axis is None else _axis(x.shape[1:], axis) + 1
        return reduce(x, axis=ax)
    return rule


def _reduce_code(name: str, vjp: str, vjp_axis: str) -> Code:
    def forward(site: Site) -> str:
        axis = site.params.get("axis")
        return f"np.{name}({site.a})" if axis is None else f"np.{name}({site.a}, axis={axis})"

    def grad(site: Site) -> str:
        axis = site.params.get("axis")
        return (vjp if axis is None else vjp_axis).format(a=site.a, g=site.g, axis=axis)
    return Code(numpy=forward, vjp=(grad,))


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
    name="matmul", stage_name="{a}{b}", arity=2, symbol="@", operator="@", notation="{a} @ {b}",
    backward_note="dimensions",
    description="matrix product (numpy's @): vectors and matrices, batch dims broadcast",
    forward=np.matmul, vjp=_matmul_vjp, shape=_matmul_shape,
    formulas=("∂(A@B)/∂A: dA = dY · Bᵀ", "∂(A@B)/∂B: dB = Aᵀ · dY"),
    batch=_matmul_batch, code=Code(numpy="{a} @ {b}", vjp=(_matmul_code(0), _matmul_code(1))),
))
register(Op(
    name="sum", stage_name="sum{a}", arity=1, symbol="Σ", function="sum",
    description="sum of all elements, or along an axis: sum(x) or sum(x, 0)",
    forward=lambda x, axis=None: np.sum(x, axis=axis), vjp=_sum_vjp, shape=_reduce_shape,
    params=(Param("axis"),), formulas=("∂(Σx)/∂xᵢ = 1: the gradient is copied to every element",),
    batch=_reduce_batch(np.sum),
    code=_reduce_code("sum", "np.ones_like({a}) * {g}",
                      "np.ones_like({a}) * np.expand_dims({g}, {axis})"),
))
register(Op(
    name="mean", stage_name="mean{a}", arity=1, symbol="mean", function="mean",
    description="mean of all elements, or along an axis: mean(x) or mean(x, 0)",
    forward=lambda x, axis=None: np.mean(x, axis=axis), vjp=_mean_vjp, shape=_reduce_shape,
    params=(Param("axis"),), formulas=("∂mean(x)/∂xᵢ = 1/n",),
    batch=_reduce_batch(np.mean),
    code=_reduce_code("mean", "np.ones_like({a}) * {g} / {a}.size",
                      "np.ones_like({a}) * np.expand_dims({g}, {axis}) / {a}.shape[{axis}]"),
))
register(Op(
    name="transpose", stage_name="{a}T", arity=1, symbol="ᵀ", function="transpose",
    description="reverse the axes (a matrix's transpose; a vector is unchanged)",
    forward=np.transpose, vjp=lambda g, y, x: (np.transpose(g),),
    shape=lambda x: tuple(reversed(x)), formulas=("∂(xᵀ)/∂x: dx = (dy)ᵀ",),
    batch=lambda batched, x: np.transpose(x, (0, *range(x.ndim - 1, 0, -1))),
    code=Code(numpy="np.transpose({a})", vjp=("np.transpose({g}).copy()",)),
))
