"""Batched evaluation (app/engine/batch.py) and the nudge plot (app/engine/sweep.py).

Every op's batching rule is checked against evaluating each row on its own,
for every case of the gradient tests (scalar, vector, matrix, broadcasting,
axes, matmul's 1-D/2-D/batched combinations) and every way its inputs can be
batched; and every op gets a nudge plot compared point by point with
separate evaluations.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest

from app.engine import batch
from app.engine.batch import cost, forward_rows
from app.engine.sweep import MAX_POINTS, default_range, sweep
from app.errors import LabError
from app.ops import REGISTRY
from app.pipeline import run
from tests.test_gradcheck import CASES, Case, _plain, body, inputs_for


def test_every_op_has_a_batching_rule() -> None:
    missing = [op.name for op in REGISTRY.values() if not op.elementwise and op.batch is None]
    assert not missing, f"ops without a batching rule: {missing}"


def _rows(case: Case, rng: np.random.Generator, n: int) -> list[dict[str, np.ndarray]]:
    return [inputs_for(case, rng) for _ in range(n)]


def _subsets(arity: int) -> list[tuple[str, ...]]:
    names = "ab"[:arity]
    return [s for k in range(1, arity + 1) for s in itertools.combinations(names, k)]


BATCH_CASES = [(case, subset) for case in CASES
               for subset in _subsets(len(case.shapes))]


@pytest.mark.parametrize(("case", "batched"), BATCH_CASES,
                         ids=[f"{c}-{''.join(s)}" for c, s in BATCH_CASES])
def test_batching_rule_matches_row_by_row(case: Case, batched: tuple[str, ...]) -> None:
    op = REGISTRY[case.op]
    rng = np.random.default_rng(zlib.crc32(f"{case}{batched}".encode()))
    source = body(op, case.params)
    base = inputs_for(case, rng)
    rows = _rows(case, rng, 4)
    for row in rows:  # inputs that are not batched keep the base value in every row
        row.update({k: v for k, v in base.items() if k not in batched})
    ev = run(source, _plain(base))
    ids = ev.graph.input_ids
    stacks = {ids[name]: np.stack([row[name] for row in rows]) for name in batched}
    got = forward_rows(ev, stacks, cost(ev, list(stacks)))
    for k, row in enumerate(rows):
        alone = run(source, _plain(row))
        expected = alone.value(alone.graph.output)
        assert got[k].shape == expected.shape, (got.shape, expected.shape)
        np.testing.assert_allclose(got[k], expected, rtol=1e-13, atol=1e-14,
                                   err_msg=f"row {k} of {case} batched over {batched}")


# -- the nudge plot, for every op ---------------------------------------------------

def _sweep_program(case: Case, scaled: str) -> str:
    """A scalar output from the op, with the scalar s scaling the inputs in `scaled`."""
    op = REGISTRY[case.op]
    args = [f"({name} * s)" if name in scaled else name for name in "ab"[:len(case.shapes)]]
    if op.name == "identity":
        inner = f"y = {args[0]}\nz = y"
    else:
        from tests.test_gradcheck import call
        inner = f"z = {call(op, args, case.params)}"
    return inner + "\nf = sum(z * r)"


SWEEP_CASES = [(case, scaled) for case in CASES for scaled in _subsets(len(case.shapes))]


def test_every_op_has_a_sweep_case() -> None:
    assert {case.op for case, _ in SWEEP_CASES} == set(REGISTRY)


@pytest.mark.parametrize(("case", "scaled"), SWEEP_CASES,
                         ids=[f"{c}-{''.join(s)}" for c, s in SWEEP_CASES])
def test_sweep_matches_separate_evaluations(case: Case, scaled: tuple[str, ...]) -> None:
    rng = np.random.default_rng(zlib.crc32(f"sweep{case}{scaled}".encode()))
    values = inputs_for(case, rng)
    plain = run(body(REGISTRY[case.op], case.params), _plain(values))
    values["r"] = rng.normal(size=plain.shapes[plain.graph.output])
    values["s"] = np.array(1.0)
    source = _sweep_program(case, scaled)
    ev = run(source, _plain(values))
    plot = sweep(ev, "s", 0.8, 1.25, 7)  # keeps signs: log and sqrt stay in their domain
    assert len(plot["xs"]) == len(plot["ys"]) == 7
    for x, y in zip(plot["xs"], plot["ys"], strict=True):
        alone = run(source, _plain({**values, "s": np.array(x)}))
        assert y == pytest.approx(float(alone.value(alone.graph.output)), rel=1e-12, abs=1e-13)
    assert plot["grad"] == pytest.approx(float(ev.grad(ev.graph.input_ids["s"])))


def test_sweep_defaults_and_tangent() -> None:
    ev = run("f = x^2 + y", {"x": 3, "y": 1})
    plot = sweep(ev, "x")
    assert (plot["from"], plot["to"], plot["points"]) == (-3.0, 9.0, 101)
    assert default_range(0.0) == (-1.0, 1.0) and default_range(-4.0) == (-12.0, 4.0)
    assert plot["value"] == 3.0 and float(plot["output"]) == 10.0 and float(plot["grad"]) == 6.0
    np.testing.assert_allclose(plot["ys"], plot["xs"] ** 2 + 1, rtol=1e-15)


def test_sweep_slope_ignores_a_scalar_seed() -> None:
    ev = run("f = 3 * x", {"x": 1}, seed=2)
    assert float(ev.grad(ev.graph.input_ids["x"])) == 6.0
    assert float(sweep(ev, "x", points=3)["grad"]) == 3.0


def test_sweep_of_an_input_the_output_does_not_use() -> None:
    ev = run("u = y * 2\nf = x + 1", {"x": 1, "y": 5})
    plot = sweep(ev, "y", points=5)
    assert list(plot["ys"]) == [2.0] * 5 and float(plot["grad"]) == 0.0


@pytest.mark.parametrize(("source", "values", "name", "kwargs", "type_", "key"), [
    ("f = x * 2", {"x": 1}, "q", {}, "value", "sweep_input"),
    ("q = x * 2\nf = q + 1", {"x": 1}, "q", {}, "value", "sweep_input"),
    ("f = sum(x * 2)", {"x": [1, 2]}, "x", {}, "shape", "sweep_tensor_input"),
    ("f = x * w", {"x": 1, "w": [1, 2]}, "x", {}, "shape", "sweep_tensor_output"),
    ("f = x * 2", {"x": 1}, "x", {"points": MAX_POINTS + 1}, "too_large", "sweep_points_limit"),
    ("f = x * 2", {"x": 1}, "x", {"points": 1}, "value", "sweep_points"),
    ("f = x * 2", {"x": 1}, "x", {"lo": 2.0, "hi": 1.0}, "value", "sweep_range"),
    ("f = x * 2", {"x": "NaN"}, "x", {}, "value", "sweep_range_needed"),
])
def test_sweep_refuses(source, values, name, kwargs, type_, key) -> None:
    with pytest.raises(LabError) as info:
        sweep(run(source, values), name, **kwargs)
    assert (info.value.type, info.value.key) == (type_, key)


def test_sweep_in_chunks_and_with_a_reduced_budget(monkeypatch) -> None:
    source = "h = W @ x * s\nf = sum(h * h)"
    values = {"W": np.arange(12.0).reshape(4, 3).tolist(), "x": [1.0, -1.0, 0.5], "s": 0.5}
    ev = run(source, values)
    whole = sweep(ev, "s", points=50)
    monkeypatch.setattr(batch, "MAX_BATCH_MEMORY", 10)  # a handful of rows per pass
    chunked = sweep(ev, "s", points=50)
    np.testing.assert_array_equal(whole["ys"], chunked["ys"])
    assert cost(ev, [ev.graph.input_ids["s"]]).work == 9  # h*s, h*h (4 each) and the sum
    monkeypatch.setattr(batch, "MAX_BATCH_WORK", 100)
    reduced = sweep(ev, "s", points=50)
    assert reduced["points"] == 11 and reduced["reduced"] and len(reduced["xs"]) == 11


def test_batched_values_are_dropped_after_their_last_use() -> None:
    ev = run("a = x * 2\nb = a + 1\nc = b * 3\nf = c - 1", {"x": 1})
    plan = cost(ev, [0])
    assert plan.gates == [2, 4, 6, 8] and plan.work == 4
    assert plan.peak == 2  # never more than an input and an output alive


def test_sweep_at_the_ends_of_the_float_range() -> None:
    for x0 in (1e308, -1.7e308, 8e307):
        plot = sweep(run("f = x * 0.5", {"x": x0}), "x", points=3)
        assert np.isfinite(plot["xs"]).all() and plot["from"] < plot["to"]
        assert min(abs(plot["from"]), abs(plot["to"])) <= abs(x0) <= max(abs(plot["from"]),
                                                                            abs(plot["to"]))
    with pytest.raises(LabError) as info:
        sweep(run("f = x * 2", {"x": 1}), "x", -1e308, 1e308)
    assert info.value.key == "sweep_range"
    with pytest.raises(LabError) as info:
        sweep(run("f = x * 2", {"x": 1}), "x", float("-inf"), 1.0)  # as the CLI could ask
    assert info.value.to_json()["args"] == {"from": "-inf", "to": 1.0}
