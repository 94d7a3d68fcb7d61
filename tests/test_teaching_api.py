"""The teaching tools through HTTP: expand, check, code and sweep fields of POST /api/graph."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.helpers import assert_error, strict_json

NEURON = {"source": "w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\n"
                    "f = sigmoid(w0*x0 + w1*x1 + w2)\n"}


def post(client, body: dict[str, Any]):
    return client.post("/api/graph", json=body)


def ok(client, body: dict[str, Any]) -> dict[str, Any]:
    response = post(client, body)
    assert response.status_code == 200, response.text
    return strict_json(response.text)


def grads(body: dict[str, Any]) -> dict[str, Any]:
    return {n["name"]: n["grad"] for n in body["nodes"] if n["op"] == "input"}


def test_a_plain_request_is_unchanged(client) -> None:
    body = ok(client, NEURON)
    assert not {"gradcheck", "code", "sweep"} & set(body)
    assert not any({"origin", "expanded_from"} & set(n) for n in body["nodes"])
    assert ok(client, {**NEURON, "expand": False, "check": False, "code": False}) == body


def test_expand_everything(client) -> None:
    plain = ok(client, NEURON)
    body = ok(client, {**NEURON, "expand": True})
    sigmoid = next(n for n in plain["nodes"] if n["op"] == "sigmoid")
    assert all("origin" in n for n in body["nodes"])
    parts = [n for n in body["nodes"] if n.get("expanded_from")]
    assert {n["expanded_from"] for n in parts} == {"sigmoid"}
    assert {n["origin"] for n in parts} == {sigmoid["id"]}
    assert [n["op"] for n in parts] == ["const", "const", "mul", "exp", "const", "add", "div"]
    assert [n["label"] for n in parts if n["op"] != "const"] == ["×", "exp", "+", "÷"]
    assert all(n["span"] == sigmoid["span"] for n in parts)
    top = next(n for n in body["nodes"] if n["id"] == body["output"])
    assert top["name"] == "f" and top["op"] == "div" and top["value"] == sigmoid["value"]
    for name, grad in grads(body).items():
        assert grad == pytest.approx(grads(plain)[name], rel=1e-12)
    untouched = [n for n in body["nodes"] if "expanded_from" not in n]
    plain_by_id = {n["id"]: n for n in plain["nodes"]}
    for node in untouched:
        assert plain_by_id[node["origin"]]["op"] == node["op"]
    assert set(body["layout"]["nodes"]) == {n["id"] for n in body["nodes"]}
    steps = [s for s in body["steps"] if s["phase"] == "forward"]
    assert len(steps) == len(body["nodes"])


def test_expand_one_gate_in_place(client) -> None:
    source = {"source": "f = sigmoid(x) * tanh(x) + sigmoid(2 * x)", "values": {"x": 0.5}}
    plain = ok(client, source)
    first = next(n["id"] for n in plain["nodes"] if n["op"] == "sigmoid")
    body = ok(client, {**source, "expand": [first]})
    ops = [n["op"] for n in body["nodes"]]
    assert ops.count("sigmoid") == 1 and ops.count("tanh") == 1
    still = next(n for n in body["nodes"] if n["op"] == "sigmoid")
    assert still["composite"] and "expanded_from" not in still
    assert {n["origin"] for n in body["nodes"] if n.get("expanded_from")} == {first}
    assert grads(body)["x"] == pytest.approx(grads(plain)["x"], rel=1e-12)
    assert ok(client, {**source, "expand": []})["nodes"][0]["origin"] == "n0"


@pytest.mark.parametrize(("expand", "key"), [
    (["n99"], "expand_unknown"),
    (["sigmoid"], "expand_unknown"),
    (["n0"], "expand_not_composite"),
])
def test_expand_bad_ids(client, expand, key) -> None:
    error = assert_error(post(client, {**NEURON, "expand": expand}), 400, "value")
    assert error["key"] == key and error["args"]["id"] == expand[0]


@pytest.mark.parametrize("expand", [3, "n1", [1], None])
def test_expand_of_the_wrong_type_is_422(client, expand) -> None:
    assert_error(post(client, {**NEURON, "expand": expand}), 422, "request")


def test_check(client) -> None:
    body = ok(client, {**NEURON, "check": True})
    report = body["gradcheck"]
    assert set(report) == {"w0", "x0", "w1", "x1", "w2"}
    for name, entry in report.items():
        assert {"analytic", "numeric", "rel_error", "ok", "kink", "step", "checked",
                "size", "shape"} <= set(entry)
        assert entry["ok"] is True and entry["kink"] is False
        assert entry["analytic"] == grads(body)[name]
        assert entry["numeric"] == pytest.approx(entry["analytic"], rel=1e-6)


def test_check_kinks_and_tensors(client) -> None:
    body = ok(client, {"source": "f = relu(x) + max(a, b) + sum(W @ v)", "check": True,
                       "values": {"x": 0, "a": 2, "b": 2, "W": [[1, 2], [3, 4]], "v": [1, -1]}})
    report = body["gradcheck"]
    assert report["x"]["kink"] and not report["x"]["ok"]
    assert report["a"]["kink"] and report["b"]["kink"]
    assert report["W"]["shape"] == [2, 2] and report["W"]["worst"]["index"] in (
        [[i, j] for i in range(2) for j in range(2)])
    assert report["W"]["numeric"] == pytest.approx(np.array([[1, -1], [1, -1]]), rel=1e-6)
    assert report["v"]["ok"] and not report["v"]["kink"]


def test_check_non_finite_numbers_are_strings(client) -> None:
    response = post(client, {"source": "f = log(x)", "values": {"x": -1}, "check": True})
    entry = strict_json(response.text)["gradcheck"]["x"]
    assert entry["numeric"] == "NaN" and entry["ok"] is False


def test_code_runs_and_gives_the_gradients(client) -> None:
    body = ok(client, {**NEURON, "code": True})
    code = body["code"]
    assert code["variant"] == "math" and code["grads"]["w0"] == "dw0"
    scope: dict[str, Any] = {}
    exec(compile(code["python"], "<staged>", "exec"), scope)  # noqa: S102 (a test)
    for name, grad in grads(body).items():
        assert scope[code["grads"][name]] == pytest.approx(grad, rel=1e-12)


def test_code_with_expand_writes_the_primitives(client) -> None:
    body = ok(client, {**NEURON, "code": True, "expand": True})
    python = body["code"]["python"]
    assert "math.exp(" in python and "1.0 / (1 + math.exp" not in python


def test_code_too_large(client) -> None:
    source = "f = " + " + ".join(f"x{k}" for k in range(2600))
    values = {f"x{k}": 1 for k in range(2600)}
    error = assert_error(post(client, {"source": source, "values": values, "code": True}),
                         400, "too_large")
    assert error["key"] == "code_too_large"


def test_sweep(client) -> None:
    body = ok(client, {**NEURON, "sweep": {"input": "w2", "from": -5, "to": 5, "points": 11}})
    plot = body["sweep"]
    assert plot["input"] == "w2" and plot["points"] == 11 and not plot["reduced"]
    assert plot["xs"] == pytest.approx(list(np.linspace(-5, 5, 11)))
    assert plot["ys"][5] == pytest.approx(1 / (1 + np.exp(-(-2 + 6 + 0))))
    assert plot["value"] == -3 and plot["output"] == pytest.approx(0.7310585786)
    assert plot["grad"] == grads(body)["w2"]
    assert (plot["from"], plot["to"]) == (-5, 5)
    default = ok(client, {**NEURON, "sweep": {"input": "w2"}})["sweep"]
    assert (default["from"], default["to"], default["points"]) == (-9, 3, 101)


def test_sweep_non_finite_outputs(client) -> None:
    response = post(client, {"source": "f = log(x)", "values": {"x": 1},
                             "sweep": {"input": "x", "from": -1, "to": 1, "points": 3}})
    assert strict_json(response.text)["sweep"]["ys"] == ["NaN", "-Infinity", 0.0]


@pytest.mark.parametrize(("source", "values", "sweep", "status", "type_", "key"), [
    ("f = x * 2", {"x": 1}, {"input": "y"}, 400, "value", "sweep_input"),
    ("f = sum(x)", {"x": [1, 2]}, {"input": "x"}, 400, "shape", "sweep_tensor_input"),
    ("f = x * v", {"x": 1, "v": [1, 2]}, {"input": "x"}, 400, "shape", "sweep_tensor_output"),
    ("f = x * 2", {"x": 1}, {"input": "x", "points": 1002}, 400, "too_large",
     "sweep_points_limit"),
    ("f = x * 2", {"x": 1}, {"input": "x", "points": 0}, 400, "value", "sweep_points"),
    ("f = x * 2", {"x": 1}, {"input": "x", "from": 2, "to": 2}, 400, "value", "sweep_range"),
    ("f = x * 2", {"x": 1}, {"input": "x", "from": "NaN"}, 422, "request", None),
    ("f = x * 2", {"x": 1}, {"input": "x", "step": 1}, 422, "request", None),
    ("f = x * 2", {"x": 1}, {"from": 1}, 422, "request", None),
])
def test_sweep_errors(client, source, values, sweep, status, type_, key) -> None:
    error = assert_error(post(client, {"source": source, "values": values, "sweep": sweep}),
                         status, type_)
    if key:
        assert error["key"] == key
        assert "sweep" in error["message"] or "nudge plot" in error["message"]


def test_tensor_input_error_points_at_the_input(client) -> None:
    error = assert_error(post(client, {"source": "f = sum(x * 2)", "values": {"x": [1, 2]},
                                       "sweep": {"input": "x"}}), 400, "shape")
    assert (error["line"], error["column"]) == (1, 9)


def test_everything_at_once_and_the_docs_example(client) -> None:
    schema = client.get("/openapi.json").json()
    request = schema["components"]["schemas"]["GraphRequest"]
    assert {"expand", "check", "code", "sweep"} <= set(request["properties"])
    response = schema["components"]["schemas"]["GraphResponse"]
    assert {"gradcheck", "code", "sweep"} <= set(response["properties"])
    assert {"origin", "expanded_from"} <= set(schema["components"]["schemas"]["NodeOut"][
        "properties"])
    example = request["examples"][1]
    body = ok(client, example)
    assert {"gradcheck", "code", "sweep"} <= set(body)
    assert all("origin" in n for n in body["nodes"])


def test_token_soup_with_every_tool_never_fails_the_server(client) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.test_fuzz import TOKENS, VALUES

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(soup=st.lists(st.sampled_from(TOKENS), max_size=25), x=VALUES,
           expand=st.one_of(st.booleans(), st.lists(st.sampled_from(["n0", "n1", "n3", "n9"]),
                                                    max_size=2)),
           sweep=st.fixed_dictionaries({"input": st.sampled_from(["x", "y", "W", "f"])},
                                       optional={"points": st.integers(-3, 1_100),
                                                 "from": st.floats(-1e300, 1e300),
                                                 "to": st.floats(-1e300, 1e300)}))
    def check(soup, x, expand, sweep) -> None:
        response = post(client, {"source": "".join(soup), "values": {"x": x, "y": 2,
                                                                     "W": [[1, 2]]},
                                 "expand": expand, "check": True, "code": True,
                                 "sweep": sweep})
        if response.status_code == 200:
            body = strict_json(response.text)
            assert {"gradcheck", "code", "sweep"} <= set(body)
            return
        assert_error(response, response.status_code, response.json()["error"]["type"])
        assert response.status_code in (400, 422)

    check()
