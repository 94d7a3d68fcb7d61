"""The gradient check a request can ask for (app/engine/gradcheck.py)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from app.engine import batch, gradcheck
from app.engine.gradcheck import MAX_CHECK_ELEMENTS
from app.engine.gradcheck import gradcheck as check
from app.ops import REGISTRY
from app.pipeline import run
from tests.test_gradcheck import CASES, Case, _plain, body, inputs_for, numeric_grad


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_op_passes_its_own_check(case: Case) -> None:
    """Away from kinks every op's gradient agrees with its central differences."""
    op = REGISTRY[case.op]
    rng = np.random.default_rng(zlib.crc32(f"check{case}".encode()))
    values = inputs_for(case, rng)
    shape_ev = run(body(op, case.params), _plain(values))
    values["r"] = rng.normal(size=shape_ev.shapes[shape_ev.graph.output])
    source = body(op, case.params) + "\nf = sum(y * r)"
    report = check(run(source, _plain(values)))
    assert set(report) == set(values)
    for name, entry in report.items():
        assert entry["ok"] and not entry["kink"], (name, entry)
        assert entry["checked"] == entry["size"] == np.size(values[name])
        assert entry["rel_error"] < 1e-5


def test_numbers_agree_with_the_reference_checker() -> None:
    source = "c = a * b\nd = c * c + sum(c, 0) * a\nf = sum(d)"
    values = {"a": np.array([[0.5, -1.0], [2.0, 1.5]]), "b": np.array([1.5, -0.5])}
    report = check(run(source, _plain(values)))
    for name in values:
        reference = numeric_grad(source, values, name)
        np.testing.assert_allclose(report[name]["numeric"], reference, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(report[name]["analytic"], reference, rtol=1e-5)


def test_a_tensor_output_is_checked_through_its_seed() -> None:
    report = check(run("y = x * x", {"x": [1.0, -2.0]}, seed=[3.0, 0.5]))
    np.testing.assert_allclose(report["x"]["numeric"], [6.0, -2.0], rtol=1e-8)
    assert report["x"]["ok"]


@pytest.mark.parametrize(("source", "values", "kinked"), [
    ("f = relu(x)", {"x": 0.0}, {"x"}),
    ("f = abs(x) * 2", {"x": 0.0}, {"x"}),
    ("f = max(a, b)", {"a": 3.0, "b": 3.0}, {"a", "b"}),
    ("f = min(a, b) + a", {"a": -1.0, "b": -1.0}, {"a", "b"}),
    ("f = relu(x - y) * z", {"x": 2.0, "y": 2.0, "z": 5.0}, {"x", "y"}),
    ("f = relu(x) + max(a, b)", {"x": 1.0, "a": 3.0, "b": 2.0}, set()),
    ("f = max(x, x)", {"x": 1.0}, set()),  # a tie that no nudge can break
    ("u = relu(y)\nf = x * 2", {"x": 1.0, "y": 0.0}, set()),  # the kink is not used
])
def test_kinks(source, values, kinked) -> None:
    report = check(run(source, values))
    assert {name for name, entry in report.items() if entry["kink"]} == kinked


def test_relu_at_zero_disagrees_and_says_why() -> None:
    entry = check(run("f = relu(x)", {"x": 0.0}))["x"]
    assert entry["analytic"] == 0.0 and entry["numeric"] == pytest.approx(0.5)
    assert entry["kink"] and not entry["ok"]


def test_a_tensor_reports_its_worst_element() -> None:
    report = check(run("f = sum(relu(x) * w)", {"x": [1.0, 0.0, -2.0], "w": [1.0, 2.0, 3.0]}))
    x = report["x"]
    assert x["worst"]["index"] == [1] and x["worst"]["kink"] and not x["worst"]["ok"]
    assert x["kink"] and not x["ok"]
    assert np.shape(x["analytic"]) == (3,) and np.shape(x["numeric"]) == (3,)
    assert report["w"]["ok"] and report["w"]["worst"]["ok"]


def test_big_tensors_are_summarised_and_huge_ones_sampled() -> None:
    big = np.linspace(-1, 1, 150).tolist()
    x = check(run("f = sum(x * x)", {"x": big}))["x"]
    assert x["analytic"] is None and x["numeric"] is None
    assert x["checked"] == x["size"] == 150 and x["ok"]
    huge = np.linspace(-1, 1, 3000).tolist()
    report = check(run("f = sum(x * x) + sum(y) * z", {"x": huge, "y": [1.0, 2.0], "z": 2.0}))
    assert report["y"]["checked"] == 2 and report["z"]["checked"] == 1
    assert report["x"]["checked"] == MAX_CHECK_ELEMENTS - 3 and report["x"]["size"] == 3000
    assert all(entry["ok"] for entry in report.values())


def test_work_budget_and_chunks(monkeypatch) -> None:
    source = "f = sum(W @ x) * s"
    values = {"W": np.arange(12.0).reshape(3, 4).tolist(), "x": [1.0, 2.0, 3.0, 4.0], "s": 2.0}
    whole = check(run(source, values))
    monkeypatch.setattr(batch, "MAX_BATCH_MEMORY", 40)  # a few rows per pass
    chunked = check(run(source, values))
    for name in values:
        np.testing.assert_array_equal(chunked[name]["numeric"], whole[name]["numeric"])
    monkeypatch.setattr(gradcheck, "MAX_CHECK_ELEMENTS", 5)
    few = check(run(source, values))
    assert [few[n]["checked"] for n in ("W", "x", "s")] == [2, 2, 1]
    assert few["W"]["analytic"] is None and few["W"]["ok"]


def test_non_finite_gradients_are_not_ok() -> None:
    entry = check(run("f = log(x)", {"x": -1.0}))["x"]
    assert np.isnan(entry["numeric"]) and entry["ok"] is False
