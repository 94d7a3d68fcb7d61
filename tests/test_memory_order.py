"""An op's answer never depends on how its arrays sit in memory.

numpy keeps a transpose as a view with swapped strides and gives the result
of an elementwise op on such views in Fortran order; sum's vjp hands on a
read-only view with a stride of 0. Issue 11's wrong gradient came from a vjp
that wrote into `d.reshape(-1)`, a copy whenever `d` was not C-contiguous.
Here every gradient case of the registry (tests/test_gradcheck.py's CASES)
runs its forward function and its vjp (or partials) on C-ordered arrays, then
on the same numbers laid out four other ways, and must give the same numbers
without writing into anything it was given.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

from app.ops import REGISTRY
from tests.test_gradcheck import CASES, Case, inputs_for


def _fortran(x: np.ndarray) -> np.ndarray:
    return np.asfortranarray(x) if x.ndim else x  # asfortranarray makes a 0-d array 1-d


def _transposed_view(x: np.ndarray) -> np.ndarray:
    """The same numbers, as the transpose of a C-ordered transpose: reversed strides."""
    return np.transpose(np.ascontiguousarray(np.transpose(x))) if x.ndim else x


def _strided(x: np.ndarray) -> np.ndarray:
    """Every other element of a twice-as-long last axis: a slice with a stride of 2."""
    if x.ndim == 0:
        return x
    return np.repeat(x, 2, axis=-1)[..., ::2]


def _read_only(x: np.ndarray) -> np.ndarray:
    return np.broadcast_to(x, x.shape)


LAYOUTS = {"fortran": _fortran, "transposed view": _transposed_view, "strided": _strided,
           "read-only": _read_only}


def _arguments(case: Case) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The op's inputs (class labels built from the case) and its params."""
    op = REGISTRY[case.op]
    rng = np.random.default_rng(zlib.crc32(str(case).encode()))
    values = inputs_for(case, rng)
    xs = [np.ascontiguousarray(values[n], dtype=float) for n in "ab"[:len(case.shapes)]]
    if op.nondiff:
        labels = np.array(case.params, dtype=float).reshape(xs[0].shape[:-1])
        return [xs[0], labels], {}
    names = [p.name for p in op.params]
    return xs, dict(zip(names, case.params, strict=False))


def _backward(case: Case, g: np.ndarray, y: np.ndarray, xs: list[np.ndarray],
              params: dict[str, Any]) -> list[np.ndarray]:
    op = REGISTRY[case.op]
    if op.vjp is not None:
        return [np.asarray(c, dtype=float) for c in op.vjp(g, y, *xs, **params)]
    return [np.asarray(g * p(y, *xs), dtype=float) for p in op.partials]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_layout_does_not_change_the_answer(case: Case, layout: str):
    op = REGISTRY[case.op]
    xs, params = _arguments(case)
    y = np.asarray(op.forward(*xs, **params), dtype=float)
    g = np.random.default_rng(1).normal(size=y.shape)
    expected = _backward(case, g, y, xs, params)

    move = LAYOUTS[layout]
    xs2 = [move(x.copy()) for x in xs]
    kept = [x.copy() for x in xs2]
    g2, y2 = move(g.copy()), move(y.copy())
    y_again = np.asarray(op.forward(*xs2, **params), dtype=float)
    np.testing.assert_allclose(y_again, y, rtol=1e-13, atol=1e-15,
                               err_msg=f"{case} forward, {layout}")
    got = _backward(case, g2, y2, xs2, params)
    for k, (a, b) in enumerate(zip(got, expected, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15,
                                   err_msg=f"{case} gradient of input {k}, {layout}")
    for x, before in zip(xs2, kept, strict=True):
        np.testing.assert_array_equal(x, before, err_msg=f"{case} wrote into an input")
