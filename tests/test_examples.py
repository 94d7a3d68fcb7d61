"""The seeds' worked examples, through the whole pipeline, with their published numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.examples import EXAMPLES, example
from app.pipeline import graph_response, run


def by_name(body: dict) -> dict[str, dict]:
    return {n["name"]: n for n in body["nodes"] if n["name"]}


def output(body: dict) -> dict:
    return next(n for n in body["nodes"] if n["id"] == body["output"])


def test_cs231n_add_mul() -> None:
    body = graph_response(example("cs231n-add-mul")["source"])
    nodes = by_name(body)
    assert output(body)["value"] == -12
    assert (nodes["x"]["grad"], nodes["y"]["grad"], nodes["z"]["grad"]) == (-4, -4, 3)
    assert nodes["q"]["value"] == 3 and nodes["q"]["grad"] == -4


def test_cs231n_inline_with_values() -> None:
    body = graph_response("f = (x + y) * z", {"x": -2, "y": 5, "z": -4})
    nodes = by_name(body)
    assert nodes["f"]["value"] == -12
    assert [nodes[k]["grad"] for k in "xyz"] == [-4, -4, 3]


def test_sigmoid_neuron_published_numbers() -> None:
    body = graph_response(example("sigmoid-neuron")["source"])
    nodes = by_name(body)
    assert round(nodes["f"]["value"], 2) == 0.73
    grads = {k: round(nodes[k]["grad"], 2) for k in ("w0", "x0", "w1", "x1", "w2")}
    assert grads == {"w0": -0.2, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.2}


def seed_000_staged(x: float, y: float) -> dict[str, float]:
    """Seed 000's forward and backward code, transcribed line for line."""
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    sigx = 1.0 / (1 + math.exp(-x))
    xpy = x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    f = num * invden
    dnum = invden
    dinvden = num
    dden = (-1.0 / (den**2)) * dinvden
    dsigx = (1) * dden
    dxpysqr = (1) * dden
    dxpy = (2 * xpy) * dxpysqr
    dx = (1) * dxpy
    dy = (1) * dxpy
    dx += ((1 - sigx) * sigx) * dsigx
    dx += (1) * dnum
    dsigy = (1) * dnum
    dy += ((1 - sigy) * sigy) * dsigy
    return {"f": f, "dx": dx, "dy": dy, "dnum": dnum, "dden": dden, "dxpy": dxpy,
            "dsigx": dsigx, "dsigy": dsigy, "dinvden": dinvden}


def test_staged_backprop_matches_seed_code() -> None:
    body = graph_response(example("staged-backprop")["source"])
    nodes = by_name(body)
    want = seed_000_staged(3, -4)
    assert nodes["f"]["value"] == pytest.approx(want["f"], rel=1e-12)
    for name in ("x", "y", "num", "den", "xpy", "sigx", "sigy", "invden"):
        assert nodes[name]["grad"] == pytest.approx(want["d" + name], rel=1e-12), name


def test_staged_backprop_shows_the_plus_equals() -> None:
    """x is used three times and y twice: their gradients are built with +=."""
    body = graph_response(example("staged-backprop")["source"])
    ids = {n["name"]: n["id"] for n in body["nodes"] if n["name"]}
    edges = [e for s in body["steps"] if s["phase"] == "backward" for e in s["edges"]]
    into_x = [e for e in edges if e["input"] == ids["x"]]
    into_y = [e for e in edges if e["input"] == ids["y"]]
    assert [e["accumulate"] for e in into_x] == [False, True, True]
    assert [e["accumulate"] for e in into_y] == [False, True]
    assert into_x[-1]["sum"] == pytest.approx(seed_000_staged(3, -4)["dx"], rel=1e-12)
    assert into_x[1]["sum"] == pytest.approx(into_x[0]["product"] + into_x[1]["product"])


MAZUR = {
    "E": 0.298371109, "out_h1": 0.593269992, "out_h2": 0.596884378,
    "out_o1": 0.75136507, "out_o2": 0.772928465,
}
# w ← w − 0.5·∂E/∂w, Mazur's published updated weights
MAZUR_UPDATED = {
    "w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
    "w5": 0.35891648, "w6": 0.408666186, "w7": 0.511301270, "w8": 0.561370121,
}


def test_seed_004_network_forward_values() -> None:
    nodes = by_name(graph_response(example("mazur-network")["source"]))
    for name, value in MAZUR.items():
        assert nodes[name]["value"] == pytest.approx(value, abs=1e-9), name


def test_seed_004_network_gradients_and_update() -> None:
    nodes = by_name(graph_response(example("mazur-network")["source"]))
    assert nodes["w5"]["grad"] == pytest.approx(0.082167041, abs=1e-9)
    assert nodes["w1"]["grad"] == pytest.approx(0.000438568, abs=1e-9)
    for name, updated in MAZUR_UPDATED.items():
        w = nodes[name]
        assert w["value"] - 0.5 * w["grad"] == pytest.approx(updated, abs=1e-8), name


def test_seed_004_w1_is_the_product_the_seed_writes() -> None:
    """∂loss/∂w1 = (∂E/∂out_o…)·σ'(o)·w5·σ'(h1)·i1, summed over both outputs as in Mazur."""
    n = {k: v["value"] for k, v in by_name(graph_response(
        example("mazur-network")["source"])).items()}
    d_o1 = (n["out_o1"] - n["t1"]) * n["out_o1"] * (1 - n["out_o1"])
    d_o2 = (n["out_o2"] - n["t2"]) * n["out_o2"] * (1 - n["out_o2"])
    d_h1 = (d_o1 * n["w5"] + d_o2 * n["w7"]) * n["out_h1"] * (1 - n["out_h1"])
    nodes = by_name(graph_response(example("mazur-network")["source"]))
    assert nodes["w1"]["grad"] == pytest.approx(d_h1 * n["i1"], rel=1e-12)


def test_max_gate_routes() -> None:
    nodes = by_name(graph_response(example("max-gate")["source"]))
    body = graph_response(example("max-gate")["source"])
    assert output(body)["value"] == -20
    assert {k: nodes[k]["grad"] for k in "xyzw"} == {"x": -8, "y": 6, "z": 2, "w": 0}


def test_relu_neuron_is_dead_then_alive() -> None:
    source = example("relu-neuron")["source"]
    dead = by_name(graph_response(source))
    assert dead["f"]["value"] == 0
    assert all(dead[k]["grad"] == 0 for k in ("w1", "x1", "w2", "x2", "b"))
    alive = by_name(graph_response(source, {"b": 1}))
    assert alive["f"]["value"] == pytest.approx(0.5)
    assert alive["w1"]["grad"] == 2 and alive["b"]["grad"] == 1


def test_matrix_vector_gradients_are_outer_product_and_transpose() -> None:
    ev = run(example("matrix-vector")["source"])
    ids = ev.graph.input_ids
    W, x = ev.value(ids["W"]), ev.value(ids["x"])
    du = 2 * (W @ x)
    np.testing.assert_allclose(ev.grad(ids["W"]), np.outer(du, x))
    np.testing.assert_allclose(ev.grad(ids["x"]), W.T @ du)


@pytest.mark.parametrize("preset", EXAMPLES, ids=lambda e: e["id"])
def test_every_preset_runs_and_is_bilingual(preset: dict) -> None:
    body = graph_response(preset["source"])
    assert body["nodes"] and not body["warnings"]
    for field in ("title", "description"):
        assert preset[field]["en"] and preset[field]["zh"]


def test_hung_yi_lee_dz_dw_is_the_input() -> None:
    nodes = by_name(graph_response(example("hung-yi-lee")["source"]))
    dc_dz = nodes["z"]["grad"]
    assert nodes["w1"]["grad"] == pytest.approx(nodes["x1"]["value"] * dc_dz, rel=1e-12)
    assert nodes["w2"]["grad"] == pytest.approx(nodes["x2"]["value"] * dc_dz, rel=1e-12)
    a = nodes["a"]["value"]
    assert dc_dz == pytest.approx(2 * (a - 0.5) * a * (1 - a), rel=1e-12)


def test_seed_004_network_as_matrices_has_the_neuron_forms_numbers() -> None:
    nodes = by_name(graph_response(example("mazur-network-tensor")["source"]))
    assert math.isclose(nodes["E"]["value"], 0.298371109, abs_tol=5e-10)
    assert math.isclose(nodes["W2"]["grad"][0][0], 0.082167041, abs_tol=5e-10)  # ∂E/∂w5
    assert math.isclose(nodes["W1"]["grad"][0][0], 0.000438568, abs_tol=5e-10)  # ∂E/∂w1
    neuron = by_name(graph_response(example("mazur-network")["source"]))
    # w1…w8 are W1 and W2 read column by column: w1 = W1[0][0], w2 = W1[1][0], w3 = W1[0][1]
    for k, (layer, i, j) in enumerate([(1, 0, 0), (1, 1, 0), (1, 0, 1), (1, 1, 1),
                                       (2, 0, 0), (2, 1, 0), (2, 0, 1), (2, 1, 1)], start=1):
        assert math.isclose(nodes[f"W{layer}"]["grad"][i][j], neuron[f"w{k}"]["grad"],
                            rel_tol=1e-12, abs_tol=1e-15)
    # one bias per layer, shared by its neurons, as Mazur writes it
    assert math.isclose(nodes["b1"]["grad"], neuron["b1"]["grad"], rel_tol=1e-12)
    assert math.isclose(nodes["b2"]["grad"], neuron["b2"]["grad"], rel_tol=1e-12)


def test_tanh_mlp_gradients_are_seed_004s_backward_pass() -> None:
    """The seed's numpy backward pass, with its sum over the batch made a mean."""
    ev = run(example("tanh-mlp-softmax")["source"])
    ids = ev.graph.input_ids
    X, y = ev.value(ids["X"]), ev.value(ids["y"]).astype(int)
    W1, b1, W2, b2 = (ev.value(ids[k]) for k in ("W1", "b1", "W2", "b2"))
    n = len(X)
    a1 = np.tanh(X @ W1 + b1)
    scores = a1 @ W2 + b2
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[range(n), y]).mean()
    delta3 = probs.copy()
    delta3[range(n), y] -= 1
    delta3 /= n
    dW2, db2 = a1.T @ delta3, delta3.sum(axis=0)
    delta2 = delta3 @ W2.T * (1 - a1**2)
    dW1, db1 = X.T @ delta2, delta2.sum(axis=0)
    assert math.isclose(float(ev.value(ev.graph.output)), loss, rel_tol=1e-12)
    for name, want in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
        np.testing.assert_allclose(ev.grad(ids[name]), want, rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(ev.grad(ids["y"]), np.zeros(n))  # labels take no gradient


def test_pooling_routes_to_the_winners_and_spreads_the_mean() -> None:
    nodes = by_name(graph_response(example("pooling")["source"]))
    assert nodes["M"]["value"] == [[4, 6], [7, 8]]
    assert nodes["A"]["value"] == [[1.75, 3.25], [2.5, 2]]
    assert nodes["L"]["value"] == 92.75
    assert nodes["X"]["grad"] == [[0.25, 0.25, 0.5, 0.5], [1.25, 0.25, 0.5, 2.5],
                                  [0.75, 0.75, 1, 1], [3.75, 0.75, 1, 5]]
