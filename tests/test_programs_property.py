"""Random well-formed programs and the hostile inputs of issue 5, through the HTTP API.

The property: whatever the program, the server answers strictly valid JSON
(no bare NaN or Infinity) and never a 5xx: a 200 with a value and a gradient
on every node, or a 4xx in the error envelope whose line and column, when not
null, point inside the source. Programs are built shape-aware from the op
catalogue of GET /api/ops, so one that is well-typed and has every value must
answer 200 with the output shape the generator predicts; mutated ones (a value
dropped, a name assigned twice, a stray token, a truncation) may answer either.

The hostile list times each request only as a hang guard (5 s); nothing else
here is a timing assertion.
"""

from __future__ import annotations

import json
import keyword
import re
import time
import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import app
from tests.helpers import ERROR_KEYS, strict_json

# A 500 is an answer to assert on, not an exception in the test.
CLIENT = TestClient(app, raise_server_exceptions=False)
OPS = CLIENT.get("/api/ops").json()["ops"]
UNARY = sorted(op["function"] for op in OPS
               if op["function"] and op["arity"] == 1 and op["elementwise"])
BINARY_FUNCTIONS = sorted(op["function"] for op in OPS
                          if op["function"] and op["arity"] == 2 and op["elementwise"])
OPERATORS = sorted(op["operator"] for op in OPS
                   if op["operator"] and op["arity"] == 2 and op["elementwise"]
                   and op["operator"] != "^")
REDUCTIONS = sorted(op["function"] for op in OPS
                    if op["function"] and any(p["name"] == "axis" for p in op["params"]))
HAS = {op["function"] or op["operator"] for op in OPS}

# Names the language takes: ASCII, CJK, Greek, full-width letters (none NFKC-equal to another).
NAMES = ["x", "y", "z", "w", "b", "q", "W", "v", "x1", "x_2", "_h", "损失", "权重", "θ", "Δt",
         "ｗｔ", "résumé", "out"]
assert not any(keyword.iskeyword(n) or n in HAS for n in NAMES)
SHAPES: list[tuple[int, ...]] = [(), (2,), (3,), (2, 3), (3, 2)]
NUMBERS = ["0", "1", "2", "3", "7", "2.5", ".5", "0.1", "1e-3", "1_000", "3.", "1e2", "0.25"]
SPECIAL = ["NaN", "Infinity", "-Infinity"]
NON_FINITE = set(SPECIAL)
HANG_GUARD_S = 5.0


def post(body: Any = None, **kwargs: Any) -> Any:
    if body is not None:
        kwargs["json"] = body
    return CLIENT.post("/api/graph", **kwargs)


# ---------------------------------------------------------------------------- generators


def spaced(draw: Any, op: str) -> str:
    return draw(st.sampled_from(["", " "])) + op + draw(st.sampled_from(["", " "]))


@st.composite
def list_literal(draw: Any, shape: tuple[int, ...]) -> str:
    if not shape:
        number = draw(st.sampled_from(NUMBERS))
        return draw(st.sampled_from([number, "-" + number]))
    items = [draw(list_literal(shape[1:])) for _ in range(shape[0])]
    return "[" + ", ".join(items) + "]"


@st.composite
def expression(draw: Any, env: dict[str, tuple[int, ...]], shape: tuple[int, ...],
               depth: int) -> str:
    """Text of an expression of `shape` over the names of `env`, fully parenthesised."""
    same = sorted(n for n, s in env.items() if s == shape)
    kinds = ["leaf"]
    if depth > 0:
        kinds += ["unary", "neg", "binary", "binary", "function2", "power"]
        if len(shape) <= 1:
            kinds += ["reduce", "matmul"]
        if len(shape) == 2:
            kinds += ["transpose", "matmul"]
    kind = draw(st.sampled_from(kinds))
    sub = lambda s: expression(env, s, depth - 1)  # noqa: E731
    if kind == "leaf":
        if same and draw(st.integers(0, 3)) > 0:
            return draw(st.sampled_from(same))
        literal = draw(list_literal(shape))
        return f"({literal})" if literal.startswith("-") else literal
    if kind == "unary":
        return f"{draw(st.sampled_from(UNARY))}({draw(sub(shape))})"
    if kind == "neg":
        return f"(-{draw(sub(shape))})"
    if kind == "binary":
        # Either side may be a scalar: numpy broadcasting.
        left_shape, right_shape = draw(st.sampled_from([(shape, shape), (shape, ()),
                                                         ((), shape)]))
        op = draw(st.sampled_from(OPERATORS))
        return f"({draw(sub(left_shape))}{spaced(draw, op)}{draw(sub(right_shape))})"
    if kind == "function2":
        name = draw(st.sampled_from(BINARY_FUNCTIONS))
        return f"{name}({draw(sub(shape))},{spaced(draw, '')}{draw(sub(shape))})"
    if kind == "power":
        op = draw(st.sampled_from(["^", "**"]))
        exponent = draw(st.one_of(st.sampled_from(["2", "3", "0.5", "(-1)", "(-2)"]), sub(())))
        return f"({draw(sub(shape))}{spaced(draw, op)}{exponent})"
    if kind == "transpose":
        if len(shape) == 2:
            return f"transpose({draw(sub((shape[1], shape[0])))})"
        return f"transpose({draw(sub(shape))})"
    if kind == "reduce":
        name = draw(st.sampled_from(REDUCTIONS))
        if not shape:
            inner = draw(st.sampled_from(SHAPES))
            return f"{name}({draw(sub(inner))})"
        (n,), m = shape, draw(st.sampled_from([2, 3]))
        inner_shape, axis = draw(st.sampled_from([((m, n), "0"), ((n, m), "1"),
                                                  ((n, m), "-1"), ((m, n), "-2")]))
        return f"{name}({draw(sub(inner_shape))}, {axis})"
    # matmul
    k = draw(st.sampled_from([2, 3]))
    if not shape:
        left, right = (k,), (k,)
    elif len(shape) == 1:
        left, right = draw(st.sampled_from([((shape[0], k), (k,)), ((k,), (k, shape[0]))]))
    else:
        left, right = (shape[0], k), (k, shape[1])
    return f"({draw(sub(left))}{spaced(draw, '@')}{draw(sub(right))})"


def json_value(draw: Any, shape: tuple[int, ...]) -> Any:
    if shape:
        return [json_value(draw, shape[1:]) for _ in range(shape[0])]
    return draw(st.one_of(
        st.floats(-1e3, 1e3, allow_nan=False).map(lambda f: round(f, 3)),
        st.integers(-5, 5),
        st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, *SPECIAL])))


@st.composite
def programs(draw: Any) -> dict[str, Any]:
    """A well-typed program: (request body, predicted output shape, names assigned)."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=7, unique=True))
    n_inputs = draw(st.integers(1, min(4, len(names) - 1)))
    env: dict[str, tuple[int, ...]] = {}
    lines: list[str] = []
    values: dict[str, Any] = {}
    for name in names[:n_inputs]:
        shape = draw(st.sampled_from(SHAPES))
        env[name] = shape
        where = draw(st.sampled_from(["values", "values", "default", "both"]))
        if where != "values":
            lines.append(f"{name}{spaced(draw, '=')}{draw(list_literal(shape))}")
        if where != "default":
            values[name] = json_value(draw, shape)
    gates = names[n_inputs:]
    separator = draw(st.sampled_from(["\n", "\n", "\n\n", "; ", "\r\n"]))
    for k, name in enumerate(gates):
        shape = draw(st.sampled_from(SHAPES))
        text = draw(expression(env, shape, draw(st.integers(0, 3))))
        last = k == len(gates) - 1
        if last and draw(st.booleans()):
            lines.append(text)  # a bare expression as the output
        else:
            lines.append(f"{name}{spaced(draw, '=')}{text}")
        if "\n" in separator and draw(st.integers(0, 5)) == 0:
            lines[-1] += "  # " + draw(st.sampled_from(["note", "注释", "∂/∂", "1 + 2 = 3"]))
        env[name] = shape
    source = separator.join(lines) + draw(st.sampled_from(["", "\n"]))
    body: dict[str, Any] = {"source": source, "values": values}
    if draw(st.booleans()):
        body.update(expand=draw(st.booleans()), check=draw(st.booleans()),
                    code=draw(st.booleans()))
    used = set(re.findall(r"\w+", source))
    # the nudge plot centres on the current value, so it needs a finite one
    scalar_inputs = sorted(n for n in names[:n_inputs] if env[n] == () and n in used
                           and not isinstance(values.get(n), str))
    if scalar_inputs and env[gates[-1]] == () and draw(st.integers(0, 3)) == 0:
        body["sweep"] = {"input": draw(st.sampled_from(scalar_inputs)),
                         "points": draw(st.integers(2, 41))}
    return {"body": body, "shape": list(env[gates[-1]]), "gates": gates}


STRAY = [")", "(", "+", "=", "@", ",", "]", "$", "1 2", "x y", "＋", "'", "lambda", "**", ".",
         "\n", ";", "#", "sum(", "exp()"]


@st.composite
def mutated(draw: Any) -> dict[str, Any]:
    """A program with one mistake (or one that happens to be harmless)."""
    case = draw(programs())
    body = dict(case["body"])
    source: str = body["source"]
    kind = draw(st.sampled_from(["drop-value", "assign-twice", "stray", "truncate",
                                 "reshape-value"]))
    if kind == "drop-value" and body["values"]:
        victim = draw(st.sampled_from(sorted(body["values"])))
        body["values"] = {k: v for k, v in body["values"].items() if k != victim}
    elif kind == "assign-twice":
        name = draw(st.sampled_from(case["gates"]))
        at = draw(st.integers(0, 1))
        lines = source.split("\n")
        lines.insert(at if at == 0 else len(lines), f"{name} = 1")
        body["source"] = "\n".join(lines)
    elif kind == "stray":
        at = draw(st.integers(0, len(source)))
        body["source"] = source[:at] + draw(st.sampled_from(STRAY)) + source[at:]
    elif kind == "truncate":
        body["source"] = source[:draw(st.integers(0, len(source)))]
    elif body["values"]:
        victim = draw(st.sampled_from(sorted(body["values"])))
        body["values"] = {**body["values"],
                          victim: json_value(draw, draw(st.sampled_from(SHAPES)))}
    return body


# ---------------------------------------------------------------------------- checks


def nested_shape(x: Any) -> list[int]:
    shape = []
    while isinstance(x, list):
        shape.append(len(x))
        x = x[0] if x else None
    return shape


def leaves(x: Any) -> list[Any]:
    return [y for item in x for y in leaves(item)] if isinstance(x, list) else [x]


def assert_inside(source: str, line: Any, column: Any, what: Any) -> None:
    """A 1-based line and column that point into the source (or just past a line's end)."""
    if line is None:
        assert column is None or isinstance(column, int), what
        return
    lines = source.split("\n")
    assert isinstance(line, int) and 1 <= line <= len(lines), (line, len(lines), what)
    assert isinstance(column, int) and 1 <= column <= len(lines[line - 1]) + 1, (
        column, lines[line - 1], what)


def assert_graph(source: str, body: dict[str, Any]) -> dict[str, Any]:
    """A 200 body: a value and a gradient on every node, shapes that match, spans inside."""
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes and body["output"] in nodes
    for node in body["nodes"]:
        assert "value" in node and "grad" in node, node
        assert nested_shape(node["value"]) == node["shape"], node
        for x in leaves(node["value"]) + (leaves(node["grad"]) if node["grad"] else []):
            assert isinstance(x, int | float) or x in NON_FINITE, (x, node)
        if node["grad"] is not None:
            assert nested_shape(node["grad"]) == node["shape"], node
        if node["span"] is not None:
            assert_inside(source, node["span"]["line"], node["span"]["column"], node)
        assert all(i in nodes for i in node["inputs"]), node
    forward = [s for s in body["steps"] if s["phase"] == "forward"]
    assert len(forward) == len(nodes)
    return nodes


def assert_error_envelope(source: str, response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    body = strict_json(response.text)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert ERROR_KEYS <= set(error), error
    assert isinstance(error["type"], str) and isinstance(error["message"], str)
    assert error["message"] and "Traceback" not in error["message"]
    assert_inside(source, error["line"], error["column"], error)
    return error


def assert_answer(body: dict[str, Any], response: Any) -> dict[str, Any] | None:
    """Never a 5xx, always strict JSON; a 200 graph or a 4xx envelope. The graph, if any."""
    assert response.status_code < 500, (response.status_code, body, response.text[:500])
    if response.status_code == 200:
        return assert_graph(body["source"], strict_json(response.text))
    assert_error_envelope(body["source"], response)
    return None


SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_OK)
@given(case=programs())
def test_well_typed_programs_answer_200_with_every_value_and_gradient(case) -> None:
    body = case["body"]
    response = post(body)
    assert response.status_code == 200, (body, response.text[:800])
    graph = strict_json(response.text)
    nodes = assert_graph(body["source"], graph)
    output = nodes[graph["output"]]
    assert output["shape"] == case["shape"], (body, output)
    named = {n["name"] for n in graph["nodes"]}
    # the answer names each name in its NFKC form: the page and the API say `wt` for `ｗｔ`
    assert {unicodedata.normalize("NFKC", g) for g in case["gates"][:-1]} <= named, (body, named)
    if body.get("check"):
        assert set(graph["gradcheck"]) <= set(graph["inputs"])
    if body.get("code"):
        assert isinstance(graph["code"]["python"], str)
    if "sweep" in body:
        assert len(graph["sweep"]["xs"]) <= body["sweep"]["points"]


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_OK)
@given(body=mutated())
def test_mutated_programs_answer_200_or_an_error_that_points_inside(body) -> None:
    assert_answer(body, post(body))


TEXT = st.text(st.one_of(st.sampled_from(list("fxy=+*^@()[],;#.1 \n\t\r\x00\u202e\u0301")),
                         st.characters(), st.sampled_from(["\ud800", "\udbff", "\udfff"])),
               max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=SLOW_OK)
@given(source=TEXT, name=TEXT)
def test_any_text_as_source_or_value_name_never_fails_the_server(source, name) -> None:
    """Any code point, lone surrogates included (JSON escapes them as \\udxxx)."""
    body = {"source": source, "values": {name: 1.0, "x": 2.0}}
    response = post(content=json.dumps(body).encode(),
                     headers={"content-type": "application/json"})
    assert_answer(body, response)


def test_any_unicode_identifier_is_a_name() -> None:
    """README: "names are any Unicode identifier". Python's own rule is str.isidentifier,
    which takes combining marks after the first character: a decomposed é (e + U+0301),
    Devanagari with its vowel signs and virama."""
    for name in ["re\u0301sume\u0301", "नमस्ते", "x\u0301"]:
        assert name.isidentifier()
        body = {"source": f"f = {name} * 2", "values": {name: 3}}
        response = post(body)
        assert response.status_code == 200, (name, response.text[:300])
        graph = strict_json(response.text)
        assert graph["inputs"] == [unicodedata.normalize("NFKC", name)]  # é composed


# ---------------------------------------------------------------------------- hostile


def raw(content: bytes | str, content_type: str | None = "application/json") -> dict[str, Any]:
    headers = {} if content_type is None else {"content-type": content_type}
    return {"content": content.encode() if isinstance(content, str) else content,
            "headers": headers}


def nested(depth: int, open_: str = "(", close: str = ")", core: str = "1") -> str:
    return open_ * depth + core + close * depth


MILLION = "[" + ",".join(["0.5"] * 1_100_000) + "]"  # over the 4 MB body cap
NEAR_CAP = "[" + ",".join(["1"] * 200_000) + "]"  # 400 kB: under the body cap, over the tensor's

# (id, request kwargs, statuses allowed, the error type expected or None)
HOSTILE: list[tuple[str, dict[str, Any], set[int], str | None]] = [
    ("oversized-program", {"json": {"source": "x = 1\n" * 340_000 + "f = x"}}, {400},
     "too_large"),
    ("oversized-one-line", {"json": {"source": "f = " + " + ".join(["1"] * 510_000)}}, {400},
     "too_large"),
    ("deep-parentheses", {"json": {"source": "f = " + nested(10_000)}}, {400}, "too_large"),
    ("deep-parentheses-100", {"json": {"source": "f = " + nested(100)}}, {400}, "too_large"),
    ("deep-list-literal", {"json": {"source": "x = " + nested(10_000, "[", "]") + "\nf = x"}},
     {400}, "too_large"),
    ("deep-calls", {"json": {"source": "f = " + nested(5_000, "exp(", ")", "x"),
                             "values": {"x": 1}}}, {400}, "too_large"),
    ("deep-unary-minus", {"json": {"source": "f = " + "-" * 50_000 + "1"}}, {200, 400}, None),
    ("deep-list-value", {**raw('{"source": "f = x", "values": {"x": '
                               + nested(100_000, "[", "]", "") + "}}")}, {400, 422}, None),
    ("deep-list-value-3000", {**raw('{"source": "f = x", "values": {"x": '
                                    + nested(3_000, "[", "]") + "}}")}, {400, 422}, None),
    ("deep-object-seed", {**raw('{"source": "f = x", "values": {"x": 1}, "seed": '
                                + nested(3_000, '{"a":', "}") + "}")}, {400, 422}, None),
    ("9**9**9**9", {"json": {"source": "9**9**9**9"}}, {200}, None),
    ("2^2^2^2^2^2", {"json": {"source": "2^2^2^2^2^2"}}, {200}, None),
    ("exp(exp(exp(1000)))", {"json": {"source": "exp(exp(exp(1000)))"}}, {200}, None),
    ("exp-of-input", {"json": {"source": "f = exp(exp(x))", "values": {"x": 1000}}}, {200},
     None),
    ("log-of-negative", {"json": {"source": "f = log(x) * sqrt(x)", "values": {"x": -1}}},
     {200}, None),
    ("zero-over-zero", {"json": {"source": "f = x / x", "values": {"x": 0}}}, {200}, None),
    ("huge-tensor-10^6", {**raw('{"source": "f = sum(x)", "values": {"x": ' + MILLION + "}}")},
     {413}, "too_large"),
    ("huge-tensor-under-the-body-cap", {**raw('{"source": "f = sum(x)", "values": {"x": '
                                              + NEAR_CAP + "}}")}, {400}, "too_large"),
    ("huge-seed", {**raw('{"source": "f = x * 2", "values": {"x": [1, 2]}, "seed": '
                         + NEAR_CAP + "}")}, {400}, None),
    ("huge-tensor-literal", {"json": {"source": "x = " + NEAR_CAP + "\nf = sum(x)"}},
     {400}, "too_large"),
    ("broadcast-blowup", {"json": {"source": "f = sum(a * b)",
                                   "values": {"a": [[1.0]] * 2_000, "b": [[1.0] * 2_000]}}},
     {200, 400}, None),
    ("matmul-blowup", {"json": {"source": "f = sum(a @ b)",
                                "values": {"a": [[1.0]] * 3_000, "b": [[1.0] * 3_000]}}},
     {200, 400}, None),
    ("sweep-over-the-cap", {"json": {"source": "f = x^2", "values": {"x": 1},
                                     "sweep": {"input": "x", "points": 10**9}}}, {400},
     "too_large"),
    ("sweep-at-the-float-edge", {"json": {"source": "f = x^2", "values": {"x": 1e308},
                                          "sweep": {"input": "x"}}}, {200, 400}, None),
    ("check-on-a-big-tensor", {"json": {"source": "f = sum(sigmoid(x))",
                                        "values": {"x": [0.5] * 50_000}, "check": True}},
     {200, 400}, None),
    ("code-on-many-gates", {"json": {"source": "f = " + " + ".join(["x"] * 6_000),
                                     "values": {"x": 1}, "code": True}}, {200, 400}, None),
    ("nul-in-source", {"json": {"source": "f = x\x00 + 1", "values": {"x": 1}}}, {400},
     "syntax"),
    ("nul-in-comment", {"json": {"source": "f = x + 1 # \x00", "values": {"x": 1}}},
     {200, 400}, None),
    ("nul-in-value-name", {"json": {"source": "f = x + 1", "values": {"x\x00": 1, "x": 1}}},
     {200}, None),
    ("nul-only-value-name", {"json": {"source": "f = x + 1", "values": {"x\x00": 1}}},
     {400}, "missing_value"),
    ("nul-in-value", {"json": {"source": "f = x + 1", "values": {"x": "\x00"}}}, {400}, None),
    ("nul-in-sweep-input", {"json": {"source": "f = x", "values": {"x": 1},
                                     "sweep": {"input": "x\x00"}}}, {400}, None),
    ("full-width-operator", {"json": {"source": "f = x ＋ 1", "values": {"x": 1}}}, {400},
     "syntax"),
    ("full-width-brackets", {"json": {"source": "f = （x + 1）", "values": {"x": 1}}}, {400},
     "syntax"),
    ("full-width-digits", {"json": {"source": "f = x + １", "values": {"x": 1}}}, {400},
     "syntax"),
    ("full-width-name", {"json": {"source": "ｆ = ｘ * 2", "values": {"ｘ": 1}}}, {200}, None),
    ("ideographic-space", {"json": {"source": "f\u3000= x", "values": {"x": 1}}}, {400},
     "syntax"),
    ("rtl-override", {"json": {"source": "\u202ef = x + 1", "values": {"x": 1}}}, {400},
     "syntax"),
    ("rtl-mark-in-name", {"json": {"source": "f = x\u200f + 1", "values": {"x": 1}}},
     {400}, "syntax"),
    ("rtl-arabic-name", {"json": {"source": "ص = س * 2", "values": {"س": 1}}}, {200}, None),
    ("combining-acute", {"json": {"source": "f = x\u0301 + 1", "values": {"x\u0301": 1}}},
     {200, 400}, None),
    ("zero-width-joiner", {"json": {"source": "f = x\u200d + 1", "values": {"x": 1}}},
     {200, 400}, None),
    ("byte-order-mark", {"json": {"source": "\ufefff = x", "values": {"x": 1}}}, {200, 400},
     None),
    ("emoji-name", {"json": {"source": "f = 😀 + 1", "values": {"😀": 1}}}, {400}, "syntax"),
    ("emoji-in-comment", {"json": {"source": "f = x + 1  # 😀👩‍👩‍👧", "values": {"x": 1}}},
     {200}, None),
    ("unicode-line-separator", {"json": {"source": "x = 1\u2028f = x", "values": {}}},
     {200, 400}, None),
    # JSON may escape a lone UTF-16 surrogate ("\\ud800"), which no UTF-8 body can carry.
    ("lone-surrogate-in-source", {**raw('{"source": "f = x\\ud800", "values": {"x": 1}}')},
     {400, 422}, None),
    ("lone-surrogate-in-failing-line", {**raw('{"source": "f = y  # \\udfff"}')}, {400, 422},
     None),
    ("lone-surrogate-in-value-name", {**raw('{"source": "f = x + 1", '
                                            '"values": {"x": 1, "\\ud800": 1}}')},
     {200, 400, 422}, None),
    ("lone-surrogate-in-sweep-input", {**raw('{"source": "f = x", "values": {"x": 1}, '
                                             '"sweep": {"input": "\\ud800"}}')}, {400, 422},
     None),
    ("lone-surrogate-in-expand", {**raw('{"source": "f = sigmoid(x)", "values": {"x": 1}, '
                                        '"expand": ["\\ud800"]}')}, {400, 422}, None),
    ("lone-surrogate-in-value", {**raw('{"source": "f = x", "values": {"x": "\\ud800"}}')},
     {400, 422}, None),
    ("truncated-json", {**raw('{"source": "f = 1", "values": {"x": ')}, {400, 422}, None),
    ("not-json", {**raw("f = (x + y) * z")}, {400, 422}, None),
    ("empty-body", {**raw(b"")}, {400, 422}, None),
    ("json-null", {**raw("null")}, {422}, "request"),
    ("json-array", {**raw('[{"source": "f = 1"}]')}, {422}, "request"),
    ("json-string", {**raw('"f = 1"')}, {422}, "request"),
    ("invalid-utf8", {**raw(b'{"source": "f = \xff\xfe 1"}')}, {400, 422}, None),
    ("utf16-body", {**raw('{"source": "f = 1"}'.encode("utf-16"))}, {200, 400, 422}, None),
    ("wrong-content-type", {**raw('{"source": "f = 1"}', "text/plain")}, {400, 415, 422},
     None),
    ("form-content-type", {**raw("source=f%3D1", "application/x-www-form-urlencoded")},
     {400, 415, 422}, None),
    ("no-content-type", {**raw('{"source": "f = 1"}', None)}, {200, 400, 415, 422}, None),
    ("bare-nan-token", {**raw('{"source": "f = x", "values": {"x": NaN}}')}, {200, 400, 422},
     None),
    ("1e999", {**raw('{"source": "f = x", "values": {"x": 1e999}}')}, {200, 400, 422}, None),
    ("5000-digit-integer", {**raw('{"source": "f = x", "values": {"x": ' + "9" * 5_000 + "}}")},
     {400, 422}, None),
    ("300-digit-integer", {**raw('{"source": "f = x", "values": {"x": ' + "9" * 300 + "}}")},
     {200, 400}, None),
    ("5000-digit-literal", {"json": {"source": "f = " + "9" * 5_000}}, {200, 400}, None),
    ("duplicate-keys", {**raw('{"source": "f = 1", "source": "f = )"}')}, {200, 400}, None),
    ("body-5MB", {**raw('{"source": "' + "x" * 5_000_000 + '"}')}, {413}, "too_large"),
    ("body-5MB-of-junk", {**raw(b"\x00" * 5_000_000, "application/octet-stream")}, {413},
     "too_large"),
    ("body-5MB-chunked", {"content": lambda: iter([b"x" * 100_000] * 50),
                          "headers": {"content-type": "application/json"}}, {413},
     "too_large"),
    ("content-length-not-a-number", {"content": b'{"source": "f = 1"}',
                                     "headers": {"content-type": "application/json",
                                                 "content-length": "abc"}}, {400, 413}, None),
]

WRONG_TYPES: dict[str, list[Any]] = {
    "source": [None, 1, 1.5, True, [], ["f = 1"], {}, {"text": "f = 1"}],
    "values": [None, 1, "x=1", [], [1, 2], True],
    "expand": [None, 1, "yes", "true", {}, [1], [None], [["n1"]]],
    "check": [None, 1, 0, "yes", "true", [], {}],
    "code": [None, 1, "yes", [], {}],
    "sweep": [1, "x", [], ["x"], True, {}, {"input": 1}, {"input": None},
              {"input": "x", "points": "ten"}, {"input": "x", "points": 1.5},
              {"input": "x", "points": True}, {"input": "x", "from": "a"},
              {"input": "x", "from": None, "to": []}, {"input": "x", "bogus": 1},
              {"input": "x", "points": 0}, {"input": "x", "points": -5},
              {"input": "x", "from": 2, "to": 2}, {"input": "x", "from": 3, "to": -3}],
    "seed": ["abc", {}, {"a": 1}, True, [[1, 2], [3]], [], [None], ["1"]],
    "bogus": [1, None, "x"],
}
VALUE_TYPES: list[Any] = [None, True, False, "abc", "", "1", "nan", "inf", {}, {"x": 1}, [],
                          [[]], [1, [2]], [[1, 2], [3]], [1, "a"], [None], [True, False]]

for field, bad_values in WRONG_TYPES.items():
    for k, bad in enumerate(bad_values):
        body = {"source": "f = x * 2", "values": {"x": 1.5}, field: bad}
        HOSTILE.append((f"wrong-type-{field}-{k}", {"json": body}, {400, 422}, None))
for k, bad in enumerate(VALUE_TYPES):
    HOSTILE.append((f"wrong-type-value-{k}", {"json": {"source": "f = x * 2",
                                                       "values": {"x": bad}}}, {400}, None))

def source_of(kwargs: dict[str, Any]) -> str:
    """The program the request holds, as the server reads it ("" when there is none)."""
    body = kwargs.get("json")
    if body is None and isinstance(kwargs.get("content"), bytes):
        try:
            body = json.loads(kwargs["content"])
        except (ValueError, RecursionError):
            body = None
    source = body.get("source") if isinstance(body, dict) else None
    return source if isinstance(source, str) else ""


OVERFLOW_OUTPUTS = {"9**9**9**9", "2^2^2^2^2^2", "exp(exp(exp(1000)))", "exp-of-input"}


@pytest.mark.parametrize(("request_kwargs", "statuses", "type_"),
                         [pytest.param(kw, statuses, type_, id=name)
                          for name, kw, statuses, type_ in HOSTILE])
def test_hostile_request_is_refused_or_answered(request, request_kwargs, statuses,
                                                type_) -> None:
    kwargs = dict(request_kwargs)
    if callable(kwargs.get("content")):
        kwargs["content"] = kwargs["content"]()  # a fresh chunked stream every run
    source = source_of(kwargs)
    start = time.perf_counter()
    response = CLIENT.post("/api/graph", **kwargs)
    took = time.perf_counter() - start
    assert took < HANG_GUARD_S, f"took {took:.1f} s"
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    if response.status_code == 200:
        graph = strict_json(response.text)
        assert_graph(source, graph)
        if request.node.callspec.id in OVERFLOW_OUTPUTS:
            output = next(n for n in graph["nodes"] if n["id"] == graph["output"])
            assert output["value"] == "Infinity", output
        return
    error = assert_error_envelope(source, response)
    if type_ is not None:
        assert error["type"] == type_, error
    if response.status_code == 413:
        assert error["type"] == "too_large"


def test_nan_and_infinity_strings_round_trip() -> None:
    """The well-formed math that overflows answers strings, and strings are accepted back."""
    response = post({"source": "f = x * y + z", "values": {"x": "Infinity", "y": 0,
                                                          "z": "-Infinity"}})
    assert response.status_code == 200
    graph = strict_json(response.text)
    output = next(n for n in graph["nodes"] if n["id"] == graph["output"])
    assert output["value"] == "NaN"
    assert json.loads(json.dumps(graph)) == graph
