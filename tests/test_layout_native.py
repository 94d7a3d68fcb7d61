"""The layout's compiled loops against their specifications in Python: the crossing search
(app/layout/_ordering.c against plain.py) gives every layer the same order and the same
crossings, with and without kicks; the network simplex (_simplex.c against simplex.py)
gives every node the same layer. Each is a fast path: it may only ever answer what its
Python twin answers.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from app.graph import from_description
from app.layout import _layout, count_crossings, order, plain, simplex
from bench.layout import random_dag

native = order._ordering
needs_native = pytest.mark.skipif(
    native is None and not os.environ.get("CI"),
    reason="the compiled search is not built here (no C compiler at install)")

SMALL_PARAMS = (order.SMALL_MIN_QUIT, order.SMALL_MAX_ITER, order.SIFT_ROUNDS, 0,
                order.KICK_ONE_IN, order.KICK_POLISH)
KICK_PARAMS = (order.MIN_QUIT, order.MAX_ITER, order.SIFT_ROUNDS, 5, order.KICK_ONE_IN,
               2)  # iterations after each kick too: every step of a kick held


def random_layered(rng: np.random.Generator, layers: int, widest: int, density: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer starts and one-layer segments (s in layer k, t in k + 1), nodes numbered by
    layer; some nodes have no segment at all, some several to the same node."""
    widths = rng.integers(1, widest + 1, size=layers)
    start = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
    s, t = [], []
    for k in range(layers - 1):
        for _ in range(int(density * (widths[k] + widths[k + 1]))):
            s.append(int(rng.integers(start[k], start[k + 1])))
            t.append(int(rng.integers(start[k + 1], start[k + 2])))
    return start, np.array(s, dtype=np.int64), np.array(t, dtype=np.int64)


def compiled(start: np.ndarray, s: np.ndarray, t: np.ndarray,
             params: tuple[int, ...]) -> tuple[list[int], int]:
    assert native is not None
    place = np.empty(int(start[-1]), dtype=np.int64)
    crossings = native.search(start, s, t, place, *params)
    return place.tolist(), crossings


def test_the_compiled_search_is_built_where_a_compiler_is() -> None:
    """A machine with a C compiler (CI's among them) runs the compiled search: an install
    that quietly fell back to the slower one would go unnoticed otherwise."""
    if os.environ.get("CI") or shutil.which("cc") or shutil.which("gcc"):
        assert native is not None, "app/layout/_ordering.c was not built: pip install -e ."
        assert simplex._simplex is not None, "app/layout/_simplex.c was not built"


@needs_native
@pytest.mark.parametrize("params", [SMALL_PARAMS, KICK_PARAMS], ids=["small", "kicks"])
def test_compiled_and_plain_search_agree_on_random_layered_graphs(params: tuple[int, ...]
                                                                   ) -> None:
    rng = np.random.default_rng(11)
    differing = []
    for case in range(40):
        start, s, t = random_layered(rng, int(rng.integers(2, 9)), int(rng.integers(1, 9)),
                                     float(rng.uniform(0.3, 1.5)))
        expected = plain.search(s.tolist(), t.tolist(), start.tolist(), *params)
        if compiled(start, s, t, params) != expected:
            differing.append(case)
    assert not differing, f"the compiled search differs from plain.py on cases {differing}"


@needs_native
@pytest.mark.parametrize("gates, reach", [(60, 3.0), (150, 10.0), (300, 25.0)])
def test_compiled_and_plain_search_agree_on_circuits(gates: int, reach: float) -> None:
    """The graphs the layout really gives it: circuits' layers with their dummy nodes."""
    graph = from_description(random_dag(gates, n_inputs=max(3, gates // 50), seed=gates,
                                        reach=reach))
    seen = {}

    def record(s: np.ndarray, t: np.ndarray, start: np.ndarray,
               params: tuple[int, int, int, int, int, int]) -> np.ndarray:
        seen["graph"] = (start.copy(), s.copy(), t.copy(), params)
        return searched(s, t, start, params)

    searched = order._search
    try:
        order._search = record  # type: ignore[assignment]
        _layout(graph)
    finally:
        order._search = searched  # type: ignore[assignment]
    start, s, t, params = seen["graph"]
    assert params[3] > 0  # kicks: the circuits are bigger than small
    expected = plain.search(s.tolist(), t.tolist(), start.tolist(), *params)
    assert compiled(start, s, t, params) == expected


@needs_native
def test_bad_arrays_are_refused_not_read_past() -> None:
    start = np.array([0, 2, 4], dtype=np.int64)
    s, t = np.array([0, 1], dtype=np.int64), np.array([2, 3], dtype=np.int64)
    assert native is not None
    with pytest.raises(ValueError, match="neighbouring layers"):
        native.search(start, np.array([0, 2]), np.array([1, 3]), np.empty(4, np.int64),
                      3, 8, 3)
    with pytest.raises(ValueError, match="no node"):
        native.search(start, s, np.array([2, 9]), np.empty(4, np.int64), 3, 8, 3)
    with pytest.raises(ValueError, match="wrong sizes"):
        native.search(start, s, t, np.empty(3, np.int64), 3, 8, 3)
    with pytest.raises(ValueError):
        native.search(start, s, t, np.empty(4, np.int64), 3, 8, 3, 1, 0, 4)  # one_in 0


def test_without_the_compiled_search_layouts_stay_whole(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Built without a compiler, small circuits are laid out exactly as with it (plain.py
    runs the same search), and bigger ones still get a full order of every layer."""
    small = from_description(random_dag(30, n_inputs=3, seed=4, reach=4.0))
    big = from_description(random_dag(400, n_inputs=5, seed=4))
    with_native = [_layout(small), _layout(big)]
    monkeypatch.setattr(order, "_ordering", None)
    without = [_layout(small), _layout(big)]
    assert without[0] == with_native[0]
    ys = {}
    for node in without[1]["nodes"].values():
        ys.setdefault(node["x"], []).append(node["y"])
    assert all(len(set(col)) == len(col) for col in ys.values())  # no two nodes on one spot
    assert count_crossings(without[1]) > 0 and count_crossings(with_native[1]) > 0


@needs_native
@pytest.mark.parametrize("gates, reach, spread", [(40, 3.0, False), (300, 10.0, False),
                                                  (800, 10.0, True), (1_500, 30.0, False)])
def test_compiled_and_python_network_simplex_agree(gates: int, reach: float, spread: bool
                                                   ) -> None:
    """The layers of the compiled network simplex are simplex.py's, node for node, on
    circuits whose inputs sit at the start or anywhere in the program."""
    assert simplex._simplex is not None
    graph = from_description(random_dag(gates, n_inputs=max(3, gates // 50), seed=gates,
                                        reach=reach, spread_inputs=spread))
    counts = np.fromiter(map(len, graph.inputs), np.int64, len(graph))
    src = np.fromiter((j for ins in graph.inputs for j in ins), np.int64, int(counts.sum()))
    dst = np.repeat(np.arange(len(graph), dtype=np.int64), counts)
    start = np.zeros(len(graph), dtype=np.int64)  # longest path: a feasible start
    for v, ins in enumerate(graph.inputs):
        if ins:
            start[v] = 1 + max(start[j] for j in ins)
    compiled_layers = simplex.network_simplex(len(graph), src, dst, start)
    python_layers = _python_simplex(len(graph), src, dst, start)
    assert compiled_layers.tolist() == python_layers.tolist()
    span = lambda layer: int((layer[dst] - layer[src]).sum())  # noqa: E731
    assert span(compiled_layers) <= span(start)


def _python_simplex(n: int, src: np.ndarray, dst: np.ndarray, start: np.ndarray) -> np.ndarray:
    compiled_solver = simplex._simplex
    try:
        simplex._simplex = None  # type: ignore[assignment]
        return simplex.network_simplex(n, src, dst, start)
    finally:
        simplex._simplex = compiled_solver


@needs_native
def test_bad_simplex_input_is_refused() -> None:
    solver = simplex._simplex
    assert solver is not None
    src, dst = np.array([0, 1], dtype=np.int64), np.array([1, 2], dtype=np.int64)
    with pytest.raises(ValueError, match="not feasible"):
        solver.solve(src, dst, np.array([0, 1, 1], dtype=np.int64), 10)
    with pytest.raises(ValueError, match="no node"):
        solver.solve(src, np.array([1, 5], dtype=np.int64), np.zeros(3, np.int64), 10)
    with pytest.raises(ValueError, match="wrong sizes"):
        solver.solve(src, dst[:1], np.zeros(3, np.int64), 10)
