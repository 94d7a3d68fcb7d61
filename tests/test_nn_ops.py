"""The neural-network ops (app/ops/nn.py): softmax, log_softmax, pick, cross_entropy, mse,
max_pool, mean_pool, reshape.

The registry-wide tests (tests/test_gradcheck.py, test_expand.py, test_batch.py,
test_staged.py, test_check.py) already run every op through central differences,
both views of composites, batching rules and staged code. Here: the worked numbers,
shapes those sweeps do not reach (labels in 3-D, labels as an input, mse broadcasting
both ways), the routing of max pooling's gradient, the expansions through
app/graph/expand.py, and every error a user can make with these ops, through the API.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from app.engine import evaluate
from app.engine.gradcheck import gradcheck
from app.engine.sweep import sweep
from app.errors import LabError
from app.graph import build
from app.graph.expand import composite, expand
from app.lang import parse
from app.ops import REGISTRY
from app.pipeline import run
from tests.helpers import assert_error
from tests.test_gradcheck import check_grads, grads
from tests.test_staged import execute

NN_OPS = ["softmax", "log_softmax", "pick", "cross_entropy", "mse", "max_pool", "mean_pool",
          "reshape"]


def value(source: str, values: dict) -> np.ndarray:
    ev = run(source, values)
    return ev.value(ev.graph.output)


def rng_for(text: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(text.encode()))


def test_every_nn_op_is_in_the_catalogue(client) -> None:
    ops = {op["name"]: op for op in client.get("/api/ops").json()["ops"]}
    assert set(NN_OPS) <= set(ops)
    assert {name for name in NN_OPS if ops[name]["composite"]} == {
        "softmax", "log_softmax", "cross_entropy", "mse"}
    assert [p["name"] for p in ops["max_pool"]["params"]] == ["k"]
    assert ops["max_pool"]["params"][0]["required"]
    assert [(p["name"], p["required"]) for p in ops["reshape"]["params"]] == [
        ("d0", True), ("d1", False)]
    assert REGISTRY["cross_entropy"].nondiff == (1,) and REGISTRY["pick"].nondiff == (1,)


# -- the worked numbers ----------------------------------------------------------------

def test_softmax_of_1_2_3() -> None:
    np.testing.assert_allclose(value("f = softmax(x)", {"x": [1, 2, 3]}),
                               [0.0900, 0.2447, 0.6652], atol=5e-5)


def test_cross_entropy_of_one_row() -> None:
    assert float(value("f = cross_entropy(z, y)", {"z": [[1, 2, 3]], "y": [2]})) == \
        pytest.approx(0.4076, abs=5e-5)
    # A vector of logits takes one label, and gives the same number.
    assert float(value("f = cross_entropy([1, 2, 3], 2)", {})) == pytest.approx(0.4076, abs=5e-5)
    # Seed 004's gradient: softmax minus the one-hot label, over the N rows.
    got = grads("f = cross_entropy(z, y)", {"z": [[1, 2, 3], [1, 2, 3]], "y": [2, 0]})
    np.testing.assert_allclose(got["z"], [[0.0450, 0.1224, -0.1674], [-0.4550, 0.1224, 0.3326]],
                               atol=5e-5)
    np.testing.assert_array_equal(got["y"], [0.0, 0.0])


def test_log_softmax_and_pick() -> None:
    np.testing.assert_allclose(value("f = log_softmax(x)", {"x": [[1, 2, 3], [0, 0, 0]]}),
                               np.log([[0.09003057, 0.24472847, 0.66524096], [1 / 3] * 3]),
                               rtol=1e-7)
    np.testing.assert_array_equal(value("f = pick(x, [2, 0])", {"x": [[1, 2, 3], [4, 5, 6]]}),
                                  [3.0, 4.0])
    assert float(value("f = pick(x, 1)", {"x": [7, 8, 9]})) == 8.0


def test_softmax_is_stable() -> None:
    np.testing.assert_allclose(value("f = softmax(x)", {"x": [1000, 1001, 1002]}),
                               [0.0900, 0.2447, 0.6652], atol=5e-5)
    np.testing.assert_allclose(value("f = log_softmax(x)", {"x": [-1000, 0]}), [-1000, 0],
                               atol=1e-12)
    assert np.isfinite(float(value("f = cross_entropy(z, 0)", {"z": [800, -800]})))


def test_mse() -> None:
    assert float(value("f = mse(p, t)", {"p": [1, 2, 3], "t": [1, 0, 0]})) == pytest.approx(13 / 3)
    got = grads("f = mse(p, t)", {"p": [[1, 2], [3, 4]], "t": [1, 0]})  # t broadcast over rows
    np.testing.assert_allclose(got["p"], [[0, 1], [1, 2]])
    np.testing.assert_allclose(got["t"], [-1, -3])


def test_reshape() -> None:
    np.testing.assert_array_equal(value("f = reshape(x, 2, -1)", {"x": [1, 2, 3, 4, 5, 6]}),
                                  [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(value("f = reshape(x, -1)", {"x": [[1, 2], [3, 4]]}),
                                  [1, 2, 3, 4])
    got = grads("f = sum(reshape(x, 3, 2) * [[1, 2], [3, 4], [5, 6]])",
                {"x": [[0, 0, 0], [0, 0, 0]]})
    np.testing.assert_array_equal(got["x"], [[1, 2, 3], [4, 5, 6]])


# -- pooling -----------------------------------------------------------------------------

X44 = [[1, 5, 2, 0],
       [3, 2, 7, 7],
       [0, 4, 1, 1],
       [9, 4, 1, 1]]
W22 = [[1, 2],
       [3, 4]]


def test_max_pool_routes_each_gradient_to_its_winner() -> None:
    assert value("f = max_pool(x, 2)", {"x": X44}).tolist() == [[5, 7], [9, 1]]
    got = grads("f = sum(max_pool(x, 2) * w)", {"x": X44, "w": W22})
    # Top-left window: 5 wins. Top-right: 7 and 7 tie, the first in row-major order (row 1,
    # column 2) takes it. Bottom-left: 9. Bottom-right: four 1s, the top-left one takes it.
    np.testing.assert_array_equal(got["x"], [[0, 1, 0, 0],
                                             [0, 0, 2, 0],
                                             [0, 0, 4, 0],
                                             [3, 0, 0, 0]])
    np.testing.assert_array_equal(got["w"], [[5, 7], [9, 1]])


def test_mean_pool_spreads_each_gradient_evenly() -> None:
    assert value("f = mean_pool(x, 2)", {"x": X44}).tolist() == [[2.75, 4], [4.25, 1]]
    got = grads("f = sum(mean_pool(x, 2) * w)", {"x": X44, "w": W22})
    np.testing.assert_array_equal(got["x"], [[0.25, 0.25, 0.5, 0.5],
                                             [0.25, 0.25, 0.5, 0.5],
                                             [0.75, 0.75, 1.0, 1.0],
                                             [0.75, 0.75, 1.0, 1.0]])


def test_pooling_with_window_one_and_whole_matrix() -> None:
    np.testing.assert_array_equal(value("f = max_pool(x, 1)", {"x": X44}), X44)
    assert value("f = max_pool(x, 4)", {"x": X44}).tolist() == [[9]]
    assert value("f = mean_pool(x, 4)", {"x": X44}).tolist() == [[3]]


def test_max_pool_ties_are_kinks_for_the_gradient_check() -> None:
    tied = check(run("f = sum(max_pool(x, 2) * w)", {"x": X44, "w": W22}))
    assert tied["x"]["kink"] and not tied["w"]["kink"]
    apart = np.array(X44, dtype=float) + np.arange(16).reshape(4, 4) * 0.01  # no tie left
    report = check(run("f = sum(max_pool(x, 2) * w)", {"x": apart.tolist(), "w": W22}))
    assert report["x"]["ok"] and not report["x"]["kink"]


def check(ev):
    return gradcheck(ev)


def test_staged_code_routes_like_the_engine() -> None:
    execute("f = sum(max_pool(x, 2) * w)", {"x": X44, "w": W22}, expect="numpy")
    execute("f = sum(mean_pool(x, 2) * w)", {"x": X44, "w": W22}, expect="numpy")


# -- gradients against central differences, at shapes the registry sweep does not reach ---

@pytest.mark.parametrize(("source", "shapes"), [
    ("y = softmax(a)", {"a": (2, 2, 3)}),
    ("y = log_softmax(a)", {"a": (1, 4)}),
    ("y = cross_entropy(a, [[0, 2], [1, 1]])", {"a": (2, 2, 3)}),
    ("y = cross_entropy(a, [2])", {"a": (1, 3)}),
    ("y = cross_entropy(a, 0)", {"a": (1,)}),  # one class: the loss is 0, and so is its slope
    ("y = pick(a, [[0, 2], [1, 1]])", {"a": (2, 2, 3)}),
    ("y = mse(a, b)", {"a": (2, 1, 3), "b": (4, 1)}),
    ("y = mse(a, b)", {"a": (), "b": (2, 2)}),
    ("y = mse(a, b)", {"a": (3,), "b": ()}),
    ("y = max_pool(a, 2)", {"a": (2, 6)}),
    ("y = mean_pool(a, 3)", {"a": (6, 3)}),
    ("y = reshape(a, 4, 3)", {"a": (2, 3, 2)}),
    ("y = reshape(a, 1)", {"a": ()}),
])
def test_vjp_at_more_shapes(source: str, shapes: dict) -> None:
    rng = rng_for(source + str(shapes))
    values = {name: rng.uniform(-1.5, 1.5, shape) for name, shape in shapes.items()}
    ev = run(source, {k: v.tolist() for k, v in values.items()})
    values["r"] = rng.normal(size=ev.shapes[ev.graph.output])
    check_grads(source + "\nf = sum(y * r)", values)


def test_a_network_loss_end_to_end() -> None:
    # Seed 004's two-layer classifier: scores from a relu layer, softmax cross-entropy.
    source = ("h = relu(X @ W1 + b1)\nscores = h @ W2 + b2\n"
              "loss = cross_entropy(scores, [0, 2, 1, 2])")
    rng = rng_for("network")
    values = {"X": rng.normal(size=(4, 3)), "W1": rng.normal(size=(3, 5)),
              "b1": rng.uniform(0.1, 0.5, 5), "W2": rng.normal(size=(5, 3)),
              "b2": rng.normal(size=3)}
    check_grads(source, values)
    execute(source, {k: v.tolist() for k, v in values.items()}, expect="numpy")


# -- labels ----------------------------------------------------------------------------------

def test_labels_as_an_input_get_zeros_and_are_not_nudged() -> None:
    ev = run("f = cross_entropy(z, y)", {"z": [[1, 2, 3], [0, 1, 0]], "y": [2, 1]})
    np.testing.assert_array_equal(ev.grad(ev.graph.input_ids["y"]), [0.0, 0.0])
    report = check(ev)
    assert report["z"]["ok"] and report["z"]["checked"] == 6
    assert report["y"]["checked"] == 0 and report["y"]["ok"] is None
    # Labels computed from an input: that input is not nudged either.
    ev = run("f = cross_entropy(z, y + 1) + sum(z)", {"z": [[1, 2, 3]], "y": [1]})
    report = check(ev)
    assert report["y"]["checked"] == 0 and report["z"]["ok"]
    execute("f = cross_entropy(z, y)", {"z": [[1, 2, 3], [0, 1, 0]], "y": [2, 1]})
    execute("f = pick(z, y) * 2", {"z": [1, 2, 3], "y": 1})


def test_the_nudge_plot_refuses_a_label_and_slides_the_logits() -> None:
    ev = run("f = cross_entropy(z * s, y)", {"z": [1, 2, 3], "y": 2, "s": 1.0})
    with pytest.raises(LabError) as info:
        sweep(ev, "y")
    assert (info.value.type, info.value.key) == ("value", "sweep_label")
    plot = sweep(ev, "s", 0.0, 2.0, 5)
    for x, y in zip(plot["xs"], plot["ys"], strict=True):
        z = np.array([1.0, 2.0, 3.0]) * x
        assert y == pytest.approx(-(z[2] - np.log(np.exp(z).sum())), rel=1e-12)


@pytest.mark.parametrize("op", ["pick", "cross_entropy"])
def test_batching_with_labels_on_the_batch_axis(op: str) -> None:
    entry = REGISTRY[op]
    x = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    labels = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 2.0]])  # three rows of labels
    got = entry.batched((False, True), x, labels)
    for k, row in enumerate(labels):
        np.testing.assert_allclose(got[k], entry.forward(x, row), rtol=1e-15)
    stack = np.stack([x, x * 2, -x])
    got = entry.batched((True, True), stack, labels)
    for k in range(3):
        np.testing.assert_allclose(got[k], entry.forward(stack[k], labels[k]), rtol=1e-15)


# -- the expansions, through app/graph/expand.py ---------------------------------------------

R23 = [[1, -2, 0.5], [0, 1, 3]]


@pytest.mark.parametrize(("source", "values"), [
    ("f = sum(softmax(x) * r)", {"x": [0.5, -1.0, 2.0], "r": [1.0, -2.0, 0.5]}),
    ("f = sum(softmax(x) * r)", {"x": [[0.5, -1, 2], [1, 1, 0]], "r": R23}),
    ("f = sum(log_softmax(x) * r)", {"x": [0.5, -1.0, 2.0], "r": [1.0, -2.0, 0.5]}),
    ("f = sum(log_softmax(x) * r)", {"x": [[0.5, -1, 2], [1, 1, 0]], "r": R23}),
    ("f = cross_entropy(x, y)", {"x": [0.5, -1.0, 2.0], "y": 1}),
    ("f = cross_entropy(x, y)", {"x": [[0.5, -1.0, 2.0], [1, 1, 0]], "y": [2, 0]}),
    ("f = cross_entropy(x * 2, [[0, 1], [2, 2]])", {"x": np.arange(12.0).reshape(2, 2, 3) / 7}),
    ("f = mse(p, t)", {"p": [[1, 2], [3, 4]], "t": [0.5, -1]}),
    ("f = mse(p, t) * 3", {"p": 2.0, "t": [1, 2, 4]}),
])
def test_expansions_agree_with_the_composites(source: str, values: dict) -> None:
    values = {k: np.asarray(v, dtype=float).tolist() for k, v in values.items()}
    collapsed = build(parse(source))
    expanded = expand(collapsed)
    assert not any(composite(op) for op in expanded.graph.ops)
    assert {"exp", "sum", "transpose"} & set(expanded.graph.ops) or "pow" in expanded.graph.ops
    one, two = evaluate(collapsed, values), evaluate(expanded.graph, values)
    np.testing.assert_allclose(two.value(two.graph.output), one.value(one.graph.output),
                               rtol=1e-12)
    for name, i in collapsed.input_ids.items():
        np.testing.assert_allclose(two.grad(expanded.graph.input_ids[name]), one.grad(i),
                                   rtol=1e-10, atol=1e-15, err_msg=f"d/d{name}")


def test_the_softmax_expansion_is_the_textbook_formula() -> None:
    ops = expand(build(parse("f = softmax(x)"))).graph.ops
    assert ops.count("exp") == 1 and ops.count("sum") == 1 and ops.count("div") == 1
    ce = expand(build(parse("f = cross_entropy(x, 1)"))).graph.ops
    assert {"pick", "log", "exp", "mean", "neg"} <= set(ce)


# -- errors, through the API -------------------------------------------------------------------

def post(client, source: str, values: dict | None = None, **extra):
    return client.post("/api/graph", json={"source": source, "values": values or {}, **extra})


@pytest.mark.parametrize(("line2", "values", "call", "shapes", "reason"), [
    ("  y = softmax(s)", {"s": 2}, "softmax", "softmax(())", "a single number has no axis"),
    ("  y = log_softmax(s)", {"s": 2}, "log_softmax", "log_softmax(())", "no axis"),
    ("  y = cross_entropy(z, t)", {"z": [[1, 2, 3]], "t": [0, 1]}, "cross_entropy",
     "cross_entropy((1, 3), (2,))", "the labels must be shape (1,)"),
    ("  y = cross_entropy(z, t)", {"z": [1, 2, 3], "t": [0]}, "cross_entropy",
     "cross_entropy((3,), (1,))", "the labels must be a single number"),
    ("  y = cross_entropy(z, t)", {"z": 1, "t": 0}, "cross_entropy",
     "cross_entropy((), ())", "at least one axis"),
    ("  y = pick(z, t)", {"z": [[1, 2, 3]], "t": 0}, "pick", "pick((1, 3), ())",
     "the labels must be shape (1,)"),
    ("  y = mse(z, t)", {"z": [1, 2, 3], "t": [1, 2]}, "mse", "mse((3,), (2,))",
     "shapes (3,) and (2,) do not broadcast"),
    ("  y = max_pool(z, 2)", {"z": [[1, 2, 3], [4, 5, 6]]}, "max_pool", "max_pool((2, 3))",
     "2×2 windows do not tile a 2×3 matrix"),
    ("  y = max_pool(z, 2)", {"z": [1, 2, 3, 4]}, "max_pool", "max_pool((4,))",
     "pools a matrix (H, W)"),
    ("  y = max_pool(z, 0)", {"z": [[1]]}, "max_pool", "max_pool((1, 1))",
     "at least 1, not 0"),
    ("  y = mean_pool(z, 3)", {"z": [[1, 2], [3, 4]]}, "mean_pool", "mean_pool((2, 2))",
     "3×3 windows do not tile a 2×2 matrix"),
    ("  y = reshape(z, 4)", {"z": [[1, 2, 3], [4, 5, 6]]}, "reshape", "reshape((2, 3))",
     "cannot reshape (2, 3) (6 numbers) to (4,) (4 numbers)"),
    ("  y = reshape(z, 4, -1)", {"z": [[1, 2, 3], [4, 5, 6]]}, "reshape", "reshape((2, 3))",
     "6 is not a multiple of 4"),
    ("  y = reshape(z, -1, -1)", {"z": [1, 2]}, "reshape", "reshape((2,))",
     "only one size may be -1"),
    ("  y = reshape(z, 0, 2)", {"z": [1, 2]}, "reshape", "reshape((2,))", "(0, 2) is not"),
])
def test_shape_errors_name_the_op_the_shapes_and_the_place(client, line2, values, call, shapes,
                                                           reason) -> None:
    source = "u = 1\n" + line2 + "\nf = sum(y)"
    error = assert_error(post(client, source, values), 400, "shape")
    assert error["line"] == 2 and error["column"] == line2.index(call) + 1
    assert error["end_column"] == error["column"] + len(call)
    assert error["key"] == "shape" and error["args"]["op"] == call
    assert f"{shapes} — " in error["summary"], error["summary"]
    assert reason in error["summary"], error["summary"]
    assert error["summary"].startswith(line2.strip().removeprefix("y = ") + ":")


@pytest.mark.parametrize(("source", "values", "key", "args"), [
    ("f = cross_entropy(z, t)", {"z": [[1, 2, 3]], "t": [3]}, "label_range",
     {"label": 3, "classes": 3, "last": 2}),
    ("f = cross_entropy(z, t)", {"z": [[1, 2, 3], [1, 1, 1]], "t": [0, -1]}, "label_range",
     {"label": -1}),
    ("f = cross_entropy(z, t)", {"z": [[1, 2, 3]], "t": [1.5]}, "label_not_whole",
     {"label": 1.5}),
    ("f = cross_entropy(z, t)", {"z": [1, 2, 3], "t": "NaN"}, "label_not_whole",
     {"label": "nan"}),
    ("f = cross_entropy(z, t + 0.5)", {"z": [1, 2, 3], "t": 1}, "label_not_whole", {}),
    ("f = cross_entropy(z, 7)", {"z": [1, 2, 3]}, "label_range", {"label": 7}),
    ("f = pick(z, t)", {"z": [[1, 2]], "t": [2]}, "label_range", {"classes": 2}),
    ("f = pick(z, t)", {"z": [[1, 2]], "t": ["Infinity"]}, "label_not_whole", {}),
])
def test_bad_labels_are_400s_at_the_call(client, source, values, key, args) -> None:
    error = assert_error(post(client, source, values), 400, "value")
    assert error["key"] == key
    assert args.items() <= error["args"].items(), error["args"]
    assert (error["line"], error["column"]) == (1, 5)
    assert error["summary"].startswith(source[4:] + ": class label")


def test_bad_labels_with_every_teaching_tool(client) -> None:
    body = {"expand": True, "check": True, "code": True}
    error = assert_error(post(client, "f = cross_entropy(z, t)", {"z": [1, 2], "t": 2}, **body),
                         400, "value")
    assert error["key"] == "label_range"
    slid = post(client, "f = cross_entropy(z, t)", {"z": [1, 2], "t": 1}, **body,
                sweep={"input": "t"})
    assert assert_error(slid, 400, "value")["key"] == "sweep_label"
    ok = post(client, "f = cross_entropy(z, t)", {"z": [[1, 2], [0, 0]], "t": [1, 0]}, **body)
    assert ok.status_code == 200
    assert ok.json()["gradcheck"]["t"]["checked"] == 0 and ok.json()["gradcheck"]["z"]["ok"]


@pytest.mark.parametrize(("source", "key"), [
    ("f = max_pool(x)", "arity"),
    ("f = reshape(x)", "arity"),
    ("f = reshape(x, 1, 2, 3)", "arity"),
    ("f = max_pool(x, k)", "param_literal"),
    ("f = reshape(x, 2, 1.5)", "param_literal"),
    ("f = softmax(x, 0)", "arity"),
    ("f = cross_entropy(x)", "arity"),
])
def test_call_mistakes(client, source, key) -> None:
    error = assert_error(post(client, source, {"x": [[1, 2], [3, 4]], "k": 2}), 400, "arity")
    assert error["key"] == key


def test_ops_everywhere_answer_200(client) -> None:
    source = ("p = softmax(z)\nq = log_softmax(z)\nm = max_pool(reshape(v, 2, 2), 2)\n"
              "n = mean_pool(reshape(v, 2, -1), 1)\n"
              "f = cross_entropy(z, y) + mse(p, exp(q)) + sum(m) + sum(n) + sum(pick(z, y))")
    values = {"z": [[1, 2, 3], [3, 0, 1]], "y": [2, 0], "v": [1, 4, 2, 3]}
    response = post(client, source, values, check=True, code=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert all(entry["ok"] for name, entry in body["gradcheck"].items() if name != "y")
    expanded = post(client, source, values, expand=True, check=True, code=True)
    assert expanded.status_code == 200
    grad = {n["name"]: n["grad"] for n in body["nodes"] if n["op"] == "input"}
    grad_expanded = {n["name"]: n["grad"] for n in expanded.json()["nodes"] if n["op"] == "input"}
    for name in grad:
        np.testing.assert_allclose(grad_expanded[name], grad[name], rtol=1e-9, atol=1e-12)
