"""The JSON API through HTTP: the contract of DESIGN.md and the one error envelope."""

from __future__ import annotations

import pytest

from app.limits import DEFAULT_LIMITS
from tests.helpers import assert_error, strict_json

CS231N = {"source": "q = x + y\nf = q * z", "values": {"x": -2, "y": 5, "z": -4}}


def post(client, body):
    return client.post("/api/graph", json=body)


def test_contract_fields(client) -> None:
    response = post(client, CS231N)
    assert response.status_code == 200
    body = strict_json(response.text)
    assert {"output", "nodes", "steps"} <= set(body)
    for node in body["nodes"]:
        assert {"id", "op", "name", "label", "inputs", "value", "grad", "shape", "span"} <= set(
            node)
        assert {"line", "column", "end_line", "end_column"} == set(node["span"])
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes["n0"] == {**nodes["n0"], "op": "input", "name": "x", "label": "x",
                           "inputs": [], "value": -2.0, "grad": -4.0, "shape": []}
    q = next(n for n in body["nodes"] if n["name"] == "q")
    assert q["op"] == "add" and q["label"] == "+" and q["value"] == 3 and q["grad"] == -4
    assert q["span"] == {"line": 1, "column": 5, "end_line": 1, "end_column": 10}
    f = nodes[body["output"]]
    assert f["name"] == "f" and f["value"] == -12 and f["span"]["line"] == 2


def test_steps_forward_then_backward_with_chain_rule_products(client) -> None:
    body = post(client, CS231N).json()
    phases = [s["phase"] for s in body["steps"]]
    n_forward = phases.count("forward")
    assert n_forward == len(body["nodes"])
    assert phases == ["forward"] * n_forward + ["backward"] * (len(phases) - n_forward)
    backward = [s for s in body["steps"] if s["phase"] == "backward"]
    assert backward[0]["node"] == body["output"] and backward[0]["seed"] is True
    for step in backward:
        for edge in step["edges"]:
            assert edge["upstream"] == step["grad"]
            assert edge["product"] == pytest.approx(edge["upstream"] * edge["local"])
            assert edge["formula"].startswith("∂")
    # ∂f/∂x = ∂f/∂q · ∂q/∂x = (−4) · 1
    into_x = [e for s in backward for e in s["edges"] if e["input"] == "n0"]
    assert into_x == [{**into_x[0], "upstream": -4.0, "local": 1.0, "product": -4.0,
                       "sum": -4.0, "accumulate": False}]


def test_fan_out_running_sum(client) -> None:
    body = post(client, {"source": "f = x * x + x", "values": {"x": 3}}).json()
    x = next(n for n in body["nodes"] if n["name"] == "x")
    edges = [e for s in body["steps"] if s["phase"] == "backward" for e in s["edges"]
             if e["input"] == x["id"]]
    assert [e["accumulate"] for e in edges] == [False, True, True]
    sums = [e["sum"] for e in edges]
    assert sums[-1] == x["grad"] == 7  # 2x + 1
    assert sums == [edges[0]["product"], edges[0]["product"] + edges[1]["product"], 7]


def test_constants_have_no_gradient(client) -> None:
    body = post(client, {"source": "f = 2 * x + 1", "values": {"x": 3}}).json()
    consts = [n for n in body["nodes"] if n["op"] == "const"]
    assert [c["label"] for c in consts] == ["2", "1"]
    assert all(c["grad"] is None and c["requires_grad"] is False for c in consts)


def test_non_finite_values_are_strings_with_warnings(client) -> None:
    response = post(client, {"source": "a = log(x)\nb = 1 / y\nc = exp(z)\nf = a + b + c",
                             "values": {"x": -1, "y": 0, "z": 1000}})
    body = strict_json(response.text)
    nodes = {n["name"]: n for n in body["nodes"] if n["name"]}
    assert (nodes["a"]["value"], nodes["b"]["value"], nodes["c"]["value"]) == (
        "NaN", "Infinity", "Infinity")
    for name in "abc":
        assert nodes[name]["warnings"], name
    assert nodes["f"]["warnings"] == []  # reported where it starts, not everywhere after
    assert len(body["warnings"]) >= 3


def test_non_finite_inputs_accepted_as_strings(client) -> None:
    body = strict_json(post(client, {"source": "f = x + 1",
                                     "values": {"x": "-Infinity"}}).text)
    assert body["nodes"][-1]["value"] == "-Infinity"


def test_tensor_values_and_shapes(client) -> None:
    body = post(client, {"source": "f = sum(W @ x)",
                         "values": {"W": [[1, 2, 3], [4, 5, 6]], "x": [1, 0, -1]}}).json()
    nodes = {n["name"]: n for n in body["nodes"] if n["name"]}
    assert nodes["W"]["shape"] == [2, 3] and nodes["x"]["shape"] == [3]
    assert nodes["W"]["grad"] == [[1, 0, -1], [1, 0, -1]]
    assert nodes["x"]["grad"] == [5, 7, 9]


def test_seed_for_a_tensor_output(client) -> None:
    body = post(client, {"source": "y = 2 * x", "values": {"x": [1, 2]},
                         "seed": [1, -1]}).json()
    x = next(n for n in body["nodes"] if n["name"] == "x")
    assert x["grad"] == [2, -2]
    error = assert_error(post(client, {"source": "y = 2 * x", "values": {"x": [1, 2]},
                                       "seed": [1, 2, 3]}), 400, "shape")
    assert "(3,)" in error["message"] and "(2,)" in error["message"]


def test_values_override_defaults_and_unknown_values_warn(client) -> None:
    body = post(client, {"source": "x = 3\nf = x * 2", "values": {"x": 5, "typo": 1}}).json()
    assert body["nodes"][-1]["value"] == 10
    assert any("typo" in w for w in body["warnings"])


@pytest.mark.parametrize(("source", "values", "type_", "line", "column"), [
    ("f = (x + ", {}, "syntax", 1, 10),
    ("q = x + y\nf = sigmod(q)", {"x": 1, "y": 2}, "unknown_function", 2, 5),
    ("f = x + y", {}, "missing_value", 1, 5),
    ("f = g * 2\ng = 3", {}, "name", 1, 5),
    ("x = 1\nx = 2", {}, "name", 2, 1),
    ("f = W @ x", {"W": [[1, 2, 3], [4, 5, 6]], "x": [1, 2]}, "shape", 1, 7),
    ("f = x + 1", {"x": "abc"}, "value", 1, 5),
    ("f = x + 1", {"x": [[1, 2], [3]]}, "shape", 1, 5),
    ("f = max(x)", {"x": 1}, "arity", 1, 5),
    ("f = x ＋ 1", {"x": 1}, "syntax", 1, 7),
    ("f = x.__class__", {"x": 1}, "syntax", 1, 6),
    ("f = " + "(" * 100 + "x" + ")" * 100, {"x": 1}, "too_large", 1, 69),  # the 65th "("
])
def test_errors_point_at_line_and_column(client, source, values, type_, line, column) -> None:
    error = assert_error(post(client, {"source": source, "values": values}), 400, type_)
    assert (error["line"], error["column"]) == (line, column), error
    assert "^" in error["message"]  # the offending line with a caret under it


def test_missing_values_are_listed_at_once(client) -> None:
    error = assert_error(post(client, {"source": "f = a * b + c", "values": {"b": 1}}),
                         400, "missing_value")
    assert error["args"]["names"] == ["a", "c"]


def test_shape_error_names_both_shapes_and_op(client) -> None:
    error = assert_error(post(client, {"source": "u = W @ x",
                                       "values": {"W": [[1, 2, 3], [4, 5, 6]], "x": [1, 2]}}),
                         400, "shape")
    assert error["summary"] == "W @ x: (2, 3) @ (2,) — inner sizes 3 and 2 differ"


def test_too_large_source(client) -> None:
    source = "x" * (DEFAULT_LIMITS.max_source_chars + 1)
    error = assert_error(post(client, {"source": source}), 400, "too_large")
    assert error["line"] is None


@pytest.mark.parametrize("body", [
    {"source": 3},
    {"source": "f = x", "values": [1, 2]},
    {"values": {"x": 1}},
    {"source": "f = x", "extra": True},
    ["source"],
])
def test_schema_mismatch_is_422(client, body) -> None:
    error = assert_error(client.post("/api/graph", json=body), 422, "request")
    assert error["detail"]


def test_malformed_json_is_a_client_error(client) -> None:
    response = client.post("/api/graph", content=b'{"source": ',
                           headers={"content-type": "application/json"})
    assert_error(response, 422, "request")
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/api/graph", content=deep[:900_000],
                           headers={"content-type": "application/json"})
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code, "request")


def test_body_over_cap_is_413(client) -> None:
    big = b'{"source": "' + b"x" * (DEFAULT_LIMITS.max_body_bytes + 100_000) + b'"}'
    assert_error(client.post("/api/graph", content=big,
                             headers={"content-type": "application/json"}), 413, "too_large")


def test_not_found_and_wrong_method(client) -> None:
    assert_error(client.get("/api/nothing"), 404, "not_found")
    assert_error(client.get("/api/graph"), 405, "method")


def test_ops_catalogue_lists_every_op_with_formula(client) -> None:
    ops = client.get("/api/ops").json()["ops"]
    names = {op["name"] for op in ops}
    required = {"add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "sin", "cos",
                "tanh", "sigmoid", "relu", "abs", "max", "min", "matmul", "sum", "mean",
                "transpose"}
    assert required <= names
    for op in ops:
        assert op["arity"] == len(op["formulas"]) and op["description"]
    sigmoid = next(op for op in ops if op["name"] == "sigmoid")
    assert sigmoid["formulas"] == ["σ'(a) = σ(a)(1−σ(a))"] and sigmoid["composite"]


def test_examples_and_health(client) -> None:
    examples = client.get("/api/examples").json()["examples"]
    assert {"cs231n-add-mul", "sigmoid-neuron", "staged-backprop", "mazur-network",
            "max-gate", "relu-neuron"} <= {e["id"] for e in examples}
    assert client.get("/healthz").json() == {"status": "ok"}


def test_docs_show_a_working_example(client) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    request = schema["components"]["schemas"]["GraphRequest"]
    example = request["examples"][0]
    response = post(client, example)
    assert response.status_code == 200


def test_a_served_app_evaluates_on_a_few_threads() -> None:
    """The event loop answering cached requests must not starve behind forty threads."""
    from concurrent.futures import ThreadPoolExecutor

    import anyio
    import anyio.to_thread

    from app.main import EVALUATION_THREADS, create_app, lifespan

    async def tokens() -> float:
        async with lifespan(create_app()):
            return anyio.to_thread.current_default_thread_limiter().total_tokens

    with ThreadPoolExecutor(1) as pool:  # off the browser tests' event loop
        assert pool.submit(anyio.run, tokens).result() == EVALUATION_THREADS == 4
