"""Neural-network ops: softmax, log-softmax, cross-entropy, mean squared error, pooling, reshape.

These are the gates of a classifier's last layers (seed 004's `probs[range(N), y]`
and its loss), so a learner can build a whole network's loss and watch its
gradient flow back. Each is one registry entry like the tensor ops: forward,
vector-Jacobian product, formulas, shape rule, batching rule and code
templates. softmax, log_softmax, cross_entropy and mse are composite: their
`expansion` writes them in primitives (exp, sum, transpose, log, pick, mean),
so the expanded circuit shows where the textbook formula comes from.

Conventions:

- softmax, log_softmax and cross_entropy work on the last axis (the classes);
  the forward passes are the stable ones (the row's max is subtracted before
  `exp`), the expansions are the textbook ones, which overflow for scores
  above about 709.
- Class labels are whole numbers in [0, C), one per row of the logits (a single
  number for a vector of logits); they take no gradient (`nondiff`). A bad
  label is a 400 `value` error at the call.
- cross_entropy averages over the rows; mse averages over every element of
  the broadcast difference.
- max_pool and mean_pool take a matrix (H, W) and a window size k (stride k);
  k must divide H and W. On a tie max_pool sends the gradient to the first
  winner of its window in row-major order (top row first, then left to
  right), the way numpy's argmax picks; its `kink` rule is 0 at such ties.
- reshape takes one or two sizes; one of them may be -1 ("whatever fits").

Every function below also works with extra leading axes, which is what the
batching rules (a leading batch axis) rely on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from app.ops.registry import (
    Code,
    Op,
    OpValueError,
    Param,
    Shape,
    ShapeError,
    Site,
    align,
    broadcast_shape,
    register,
    unbroadcast,
)

Array = np.ndarray


# -- softmax and log-softmax -------------------------------------------------------

# numpy reduces a short last axis slowly (a (200, 2) max costs as much as twenty
# elementwise calls), and a classifier's scores have a few classes along it. Up to
# seven classes, combining the columns is the same arithmetic in the same order
# (numpy sums fewer than eight numbers left to right), so the same bits, faster.
_FEW_CLASSES = 8


def _last_max(x: Array) -> Array:
    """np.max(x, axis=-1, keepdims=True)."""
    classes = np.shape(x)[-1]
    if not 1 < classes < _FEW_CLASSES:
        return np.max(x, axis=-1, keepdims=True)
    m = x[..., 0]
    for k in range(1, classes):
        m = np.maximum(m, x[..., k])
    return m[..., None]


def _last_sum(x: Array) -> Array:
    """np.sum(x, axis=-1, keepdims=True)."""
    classes = np.shape(x)[-1]
    if not 1 < classes < _FEW_CLASSES:
        return np.sum(x, axis=-1, keepdims=True)
    s = x[..., 0] + x[..., 1]
    for k in range(2, classes):
        s = s + x[..., k]
    return s[..., None]


def softmax(x: Array) -> Array:
    """e^x / Σ e^x over the last axis, with the row's max subtracted first (no overflow)."""
    z = np.exp(x - _last_max(x))
    return z / _last_sum(z)


def log_softmax(x: Array) -> Array:
    """x − log Σ e^x over the last axis, computed as (x − max) − log Σ e^(x − max)."""
    shifted = x - _last_max(x)
    return shifted - np.log(_last_sum(np.exp(shifted)))


def _softmax_vjp(g: Any, y: Array, x: Array) -> tuple[Array]:
    g = np.asarray(g, dtype=float)
    return (y * (g - np.sum(g * y, axis=-1, keepdims=True)),)


def _log_softmax_vjp(g: Any, y: Array, x: Array) -> tuple[Array]:
    g = np.asarray(g, dtype=float)
    return (g - np.exp(y) * np.sum(g, axis=-1, keepdims=True),)


def _classes_shape(name: str):
    """The shape rule of an op over the last axis: anything with at least one axis."""
    def rule(x: Shape) -> Shape:
        if not x:
            raise ShapeError(f"{name} works along the last axis (one score per class), and a "
                             "single number has no axis")
        return x
    return rule


def _last_axis_batch(forward):
    """Ops along the last axis ignore a leading batch axis."""
    def rule(batched: tuple[bool, ...], x: Array) -> Array:
        return forward(x)
    return rule


_MAX = "np.max({a}, axis=-1, keepdims=True)"
_SOFTMAX = f"np.exp({{a}} - {_MAX}) / np.sum(np.exp({{a}} - {_MAX}), axis=-1, keepdims=True)"
_LOG_SOFTMAX = (f"{{a}} - {_MAX} - np.log(np.sum(np.exp({{a}} - {_MAX}), axis=-1, "
                "keepdims=True))")


# -- class labels: pick and cross-entropy -----------------------------------------------

def _number(x: float) -> str:
    return f"{x:g}" if math.isfinite(x) else str(x)


def class_index(labels: Any, classes: int) -> Array:
    """Labels as integer indices; OpValueError unless each is a whole number in [0, classes)."""
    lab = np.asarray(labels)
    if lab.dtype == np.intp and lab.size:  # integers (training's labels): only the range,
        # in one pass: a negative label seen as unsigned is huge
        if lab.view(np.uintp).max() < classes:
            return lab
    lab = np.asarray(lab, dtype=float)
    whole = np.isfinite(lab) & (lab == np.round(lab))
    if not whole.all():
        bad = float(lab[~whole].flat[0])
        raise OpValueError(f"class labels are whole numbers (class indices), and {_number(bad)} "
                           "is not", key="label_not_whole",
                           info={"label": bad if math.isfinite(bad) else str(bad)})
    inside = (lab >= 0) & (lab < classes)
    if not inside.all():
        bad = float(lab[~inside].flat[0])
        raise OpValueError(f"class label {_number(bad)} is out of range: with {classes} "
                           f"classes a label is 0 to {classes - 1}", key="label_range",
                           info={"label": bad, "classes": classes, "last": classes - 1})
    return lab.astype(np.intp)


def _gather(x: Array, index: Array) -> Array:
    """x[..., index]: each row's entry at its own index (numpy's take_along_axis)."""
    if x.ndim == 2:  # the common case, without take_along_axis's index building
        return x.reshape(-1)[index + np.arange(0, x.size, x.shape[1])]
    return np.take_along_axis(x, index[..., None], axis=-1)[..., 0]


def _one_hot(index: Array, classes: int) -> Array:
    return (np.arange(classes) == index[..., None]).astype(float)


def _labels_shape(x: Shape, labels: Shape, what: str) -> None:
    if not x:
        raise ShapeError(f"the {what} need at least one axis: one per class, along the last axis")
    if labels != x[:-1]:
        want = "a single number" if len(x) == 1 else f"shape {x[:-1]}"
        raise ShapeError(f"with {x[-1]} classes along the last axis of {x}, the labels must be "
                         f"{want}, one class index per row, not shape {labels}")


def _pick(x: Array, labels: Any) -> Array:
    return _gather(x, class_index(labels, x.shape[-1]))


def _pick_shape(x: Shape, labels: Shape) -> Shape:
    _labels_shape(x, labels, "scores")
    return x[:-1]


def _pick_vjp(g: Any, y: Array, x: Array, labels: Array) -> tuple[Array, Array]:
    index = class_index(labels, x.shape[-1])
    g = np.asarray(g, dtype=float)
    return _one_hot(index, x.shape[-1]) * g[..., None], np.zeros(np.shape(labels))


def _both_batched(batched: tuple[bool, ...], x: Array, labels: Array) -> tuple[Array, Array]:
    """x (B, ..., C) and labels (B, ...): the one without a batch axis repeated along it."""
    fx, fl = batched
    labels = np.asarray(labels, dtype=float)
    if fx and not fl:
        labels = np.broadcast_to(labels, x.shape[:1] + labels.shape)
    elif fl and not fx:
        x = np.broadcast_to(x, labels.shape[:1] + x.shape)
    return x, labels


def _pick_batch(batched: tuple[bool, ...], x: Array, labels: Array) -> Array:
    return _pick(*_both_batched(batched, x, labels))


def _cross_entropy(x: Array, labels: Any) -> Any:
    picked = _gather(log_softmax(x), class_index(labels, x.shape[-1]))
    return -(np.add.reduce(picked, axis=None) / max(picked.size, 1))  # np.mean, less overhead


def _cross_entropy_shape(x: Shape, labels: Shape) -> Shape:
    _labels_shape(x, labels, "logits")
    return ()


def _cross_entropy_vjp(g: Any, y: Array, x: Array, labels: Array) -> tuple[Array, Array]:
    index = class_index(labels, x.shape[-1])
    rows = max(index.size, 1)
    g = np.asarray(g, dtype=float)
    d = softmax(x)  # a new array, but in x's memory order: transposed logits give a
    # Fortran-ordered d, whose reshape(-1) is a copy, so the one-hot is subtracted by
    # indexing d itself, never through a flat view
    if d.ndim == 2:
        d[np.arange(d.shape[0]), index] -= 1.0
    else:
        d = d - _one_hot(index, x.shape[-1])
    return d * (g / rows), np.zeros(np.shape(labels))


def _cross_entropy_batch(batched: tuple[bool, ...], x: Array, labels: Array) -> Array:
    x, labels = _both_batched(batched, x, labels)
    picked = _gather(log_softmax(x), class_index(labels, x.shape[-1]))
    return -picked.reshape(len(picked), -1).mean(axis=1)


_INDEX = "np.asarray({b}).astype(int)[..., None]"


def _one_hot_code(site: Site) -> str:
    classes = site.shapes[0][-1]
    return f"(np.arange({classes}) == {site.fill(_INDEX)})"


def _pick_code(site: Site) -> str:
    return f"{_one_hot_code(site)} * np.asarray({site.g})[..., None]"


def _cross_entropy_code(site: Site) -> str:
    rows = math.prod(site.shapes[1])
    softmax_code = site.fill(_SOFTMAX)
    scale = f"{site.g}" if rows == 1 else f"{site.g} / {rows}"
    return f"({softmax_code} - {_one_hot_code(site)}) * {scale}"


_NO_GRAD = "np.zeros(np.shape({b}))"


# -- mean squared error -------------------------------------------------------------

def _mse(a: Any, b: Any) -> Any:
    return np.mean(np.square(np.subtract(a, b)))


def _mse_shape(a: Shape, b: Shape) -> Shape:
    broadcast_shape(a, b)
    return ()


def _mse_vjp(g: Any, y: Array, a: Array, b: Array) -> tuple[Array, Array]:
    diff = np.subtract(a, b)
    d = 2.0 * diff * np.asarray(g, dtype=float) / max(diff.size, 1)
    return unbroadcast(d, np.shape(a)), unbroadcast(-d, np.shape(b))


def _mse_batch(batched: tuple[bool, ...], a: Array, b: Array) -> Array:
    a, b = align(batched, (a, b))
    sq = np.square(np.subtract(a, b))
    return sq.reshape(len(sq), -1).mean(axis=1)


def _mse_code(k: int):
    def template(site: Site) -> str:
        shape = broadcast_shape(*site.shapes)
        count = math.prod(shape)
        sign = "" if k == 0 else "-"
        expr = f"{sign}2 * ({site.a} - {site.b}) * {site.g}"
        if count != 1:
            expr += f" / {count}"
        if site.shapes[k] != shape:
            expr = f"unbroadcast({expr}, np.shape({site.args[k]}))"
        return expr
    return template


# -- pooling -------------------------------------------------------------------------

def _windows(x: Array, k: int) -> Array:
    """(..., H, W) -> (..., H/k, W/k, k·k): each k×k window flattened in row-major order."""
    *lead, h, w = x.shape
    v = np.reshape(x, (*lead, h // k, k, w // k, k))
    return np.swapaxes(v, -3, -2).reshape(*lead, h // k, w // k, k * k)


def _unwindow(v: Array, k: int) -> Array:
    """The inverse of `_windows`: (..., H/k, W/k, k·k) -> (..., H, W)."""
    *lead, hk, wk, _ = v.shape
    v = np.swapaxes(np.reshape(v, (*lead, hk, wk, k, k)), -3, -2)
    return v.reshape(*lead, hk * k, wk * k)


def _pool_shape(name: str):
    def rule(x: Shape, k: int) -> Shape:
        if len(x) != 2:
            raise ShapeError(f"{name} pools a matrix (H, W), and this input has shape {x}")
        if k < 1:
            raise ShapeError(f"the window size k must be at least 1, not {k}")
        if x[0] % k or x[1] % k:
            raise ShapeError(f"{k}×{k} windows do not tile a {x[0]}×{x[1]} matrix: "
                             f"H and W must be multiples of {k}")
        return (x[0] // k, x[1] // k)
    return rule


def _max_pool(x: Array, k: int) -> Array:
    return np.max(_windows(x, k), axis=-1)


def _max_pool_vjp(g: Any, y: Array, x: Array, k: int) -> tuple[Array]:
    win = _windows(x, k)
    first = _one_hot(np.argmax(win, axis=-1), k * k)  # the first winner in row-major order
    return (_unwindow(first * np.asarray(g, dtype=float)[..., None], k),)


def _max_pool_kink(x: Array, k: int) -> Array:
    """Per input element: + the window's winner, − the others, 0 on a tie for the max.

    It is sign(x − the largest other element of its window), so a nudge that changes
    which element wins changes some sign.
    """
    win = _windows(np.asarray(x, dtype=float), k)
    if k == 1:
        return np.ones(np.shape(x))
    ordered = np.sort(win, axis=-1)
    top, second = ordered[..., -1:], ordered[..., -2:-1]
    first = np.argmax(win, axis=-1)[..., None] == np.arange(k * k)
    return _unwindow(np.sign(win - np.where(first, second, top)), k)


def _mean_pool(x: Array, k: int) -> Array:
    return np.mean(_windows(x, k), axis=-1)


def _mean_pool_vjp(g: Any, y: Array, x: Array, k: int) -> tuple[Array]:
    g = np.asarray(g, dtype=float)
    return (_unwindow(np.broadcast_to(g[..., None] / (k * k), g.shape + (k * k,)), k),)


def _pool_batch(forward):
    def rule(batched: tuple[bool, ...], x: Array, k: int) -> Array:
        return forward(x, k)
    return rule


def _pool_code(reduce: str):
    def template(site: Site) -> str:
        (h, w), k = site.shapes[0], site.params["k"]
        return f"{site.a}.reshape({h // k}, {k}, {w // k}, {k}).{reduce}(axis=(1, 3))"
    return template


def _max_pool_code(site: Site) -> str:
    (h, w), k = site.shapes[0], site.params["k"]
    windows = f"{site.a}.reshape({h // k}, {k}, {w // k}, {k}).swapaxes(1, 2)" \
              f".reshape({h // k}, {w // k}, {k * k})"
    routed = f"(np.arange({k * k}) == {windows}.argmax(-1)[..., None]) * {site.g}[..., None]"
    return f"({routed}).reshape({h // k}, {w // k}, {k}, {k}).swapaxes(1, 2).reshape({h}, {w})"


def _mean_pool_code(site: Site) -> str:
    k = site.params["k"]
    return f"np.kron({site.g}, np.ones(({k}, {k}))) / {k * k}"


# -- reshape -------------------------------------------------------------------------

def _target(d0: int, d1: int | None) -> tuple[int, ...]:
    return (d0,) if d1 is None else (d0, d1)


def _reshape_shape(x: Shape, d0: int, d1: int | None = None) -> Shape:
    target = _target(d0, d1)
    written = "(" + ", ".join(map(str, target)) + ("," if len(target) == 1 else "") + ")"
    count = math.prod(x)
    if any(d < 1 and d != -1 for d in target):
        raise ShapeError(f"sizes are positive whole numbers, or -1 once for 'whatever fits'; "
                         f"{written} is not")
    if target.count(-1) > 1:
        raise ShapeError(f"only one size may be -1, and {written} has two")
    if -1 in target:
        known = math.prod(d for d in target if d != -1)
        if count % known:
            raise ShapeError(f"cannot reshape {x} ({count} numbers) to {written}: "
                             f"{count} is not a multiple of {known}")
        return tuple(count // known if d == -1 else d for d in target)
    if math.prod(target) != count:
        raise ShapeError(f"cannot reshape {x} ({count} numbers) to {written} "
                         f"({math.prod(target)} numbers)")
    return target


def _reshape(x: Any, d0: int, d1: int | None = None) -> Array:
    return np.reshape(x, _target(d0, d1))


def _reshape_batch(batched: tuple[bool, ...], x: Array, d0: int, d1: int | None = None) -> Array:
    return np.reshape(x, (len(x), *_target(d0, d1)))


def _reshape_code(site: Site) -> str:
    target = _target(site.params["d0"], site.params.get("d1"))
    return f"np.reshape({site.a}, {target})"


# -- the entries -----------------------------------------------------------------------

register(Op(
    name="softmax", stage_name="softmax{a}", arity=1, symbol="softmax", function="softmax",
    description="softmax along the last axis: eˣ / Σ eˣ, each row a probability distribution",
    forward=softmax, vjp=_softmax_vjp, shape=_classes_shape("softmax"),
    formulas=("∂softmax: dx = y ⊙ (dy − Σ(dy ⊙ y)), Σ along the last axis",),
    expansion="e = exp(transpose(a)); transpose(e / sum(e, 0))",
    domain="softmax turns ∞ or NaN scores into NaN",
    batch=_last_axis_batch(softmax),
    code=Code(numpy=_SOFTMAX, vjp=("{y} * ({g} - np.sum({g} * {y}, axis=-1, keepdims=True))",)),
))
register(Op(
    name="log_softmax", arity=1, symbol="log softmax", function="log_softmax",
    stage_name="logsoftmax{a}",
    description="log of softmax along the last axis: x − log Σ eˣ",
    forward=log_softmax, vjp=_log_softmax_vjp, shape=_classes_shape("log_softmax"),
    formulas=("∂log softmax: dx = dy − softmax(x) ⊙ Σ dy, Σ along the last axis",),
    expansion="t = transpose(a); transpose(t - log(sum(exp(t), 0)))",
    domain="log_softmax turns ∞ or NaN scores into NaN",
    batch=_last_axis_batch(log_softmax),
    code=Code(numpy=_LOG_SOFTMAX,
              vjp=("{g} - np.exp({y}) * np.sum({g}, axis=-1, keepdims=True)",)),
))
register(Op(
    name="pick", stage_name="pick{a}", arity=2, symbol="pick", function="pick",
    description="each row's entry at its class label b (gather along the last axis: "
                "x[range(N), y])",
    forward=_pick, vjp=_pick_vjp, shape=_pick_shape, nondiff=(1,),
    formulas=("∂pick/∂a: da = dy at each row's label, 0 elsewhere",
              "no gradient: labels are class indices"),
    batch=_pick_batch,
    code=Code(numpy="np.take_along_axis({a}, " + _INDEX + ", axis=-1)[..., 0]",
              vjp=(_pick_code, _NO_GRAD)),
))
register(Op(
    name="cross_entropy", stage_name="loss", arity=2, symbol="CE", function="cross_entropy",
    description="cross-entropy loss −log softmax(a)[b] of logits a against class labels b "
                "(whole numbers), averaged over the rows",
    forward=_cross_entropy, vjp=_cross_entropy_vjp, shape=_cross_entropy_shape, nondiff=(1,),
    formulas=("∂CE/∂a = (softmax(a) − onehot(b)) / N, N rows",
              "no gradient: labels are class indices"),
    expansion="mean(-pick(log_softmax(a), b))",
    domain="cross-entropy turns ∞ or NaN logits into NaN",
    batch=_cross_entropy_batch,
    code=Code(numpy="-np.mean(np.take_along_axis(" + _LOG_SOFTMAX + ", " + _INDEX
                    + ", axis=-1))",
              vjp=(_cross_entropy_code, _NO_GRAD)),
))
register(Op(
    name="mse", stage_name="loss", arity=2, symbol="MSE", function="mse",
    description="mean squared error: the mean of (a − b)² over every element, broadcasting",
    forward=_mse, vjp=_mse_vjp, shape=_mse_shape,
    formulas=("∂MSE/∂a = 2(a − b)/n", "∂MSE/∂b = −2(a − b)/n"),
    expansion="mean((a - b) ^ 2)",
    batch=_mse_batch,
    code=Code(numpy="np.mean(({a} - {b}) ** 2)", vjp=(_mse_code(0), _mse_code(1))),
))
register(Op(
    name="max_pool", stage_name="pool{a}", arity=1, symbol="max pool", function="max_pool",
    description="the max of each k×k window of a matrix, stride k: max_pool(x, 2)",
    forward=_max_pool, vjp=_max_pool_vjp, shape=_pool_shape("max_pool"),
    params=(Param("k", required=True),),
    formulas=("∂max pool: each window's dy goes to its max (the first, row by row, on a tie)",),
    batch=_pool_batch(_max_pool), kink=_max_pool_kink, backward_note="window_max",
    code=Code(numpy=_pool_code("max"), vjp=(_max_pool_code,)),
))
register(Op(
    name="mean_pool", stage_name="pool{a}", arity=1, symbol="mean pool", function="mean_pool",
    description="the mean of each k×k window of a matrix, stride k: mean_pool(x, 2)",
    forward=_mean_pool, vjp=_mean_pool_vjp, shape=_pool_shape("mean_pool"),
    params=(Param("k", required=True),),
    formulas=("∂mean pool: each window's dy is spread evenly, dy/k² to each element",),
    batch=_pool_batch(_mean_pool), backward_note="window_mean",
    code=Code(numpy=_pool_code("mean"), vjp=(_mean_pool_code,)),
))
register(Op(
    name="reshape", stage_name="{a}r", arity=1, symbol="reshape", function="reshape",
    description="the same numbers in a new shape, row by row: reshape(x, 6) or "
                "reshape(x, 2, -1)",
    forward=_reshape, vjp=lambda g, y, x, d0, d1=None: (np.reshape(g, np.shape(x)),),
    shape=_reshape_shape, params=(Param("d0", required=True), Param("d1")),
    formulas=("∂reshape: dx = dy reshaped back to x's shape",),
    batch=_reshape_batch,
    code=Code(numpy=_reshape_code, vjp=("np.reshape({g}, np.shape({a}))",)),
))
