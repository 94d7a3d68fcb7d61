"""The Python API (app/lab.py): circuits, their numbers, errors as the API's envelope, the
static picture of a circuit, and `import backprop_lab`."""

from __future__ import annotations

import base64
import math
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient

import backprop_lab
from app import lab
from app.drawing import circuit_svg, num
from tests.helpers import check_envelope

CS231N = "f = (x + y) * z"


def test_the_cs231n_circuit() -> None:
    circuit = lab.circuit(CS231N, x=-2, y=5, z=-4)
    assert circuit.value == -12.0
    assert circuit["x"].grad == -4.0 and circuit["y"].grad == -4.0 and circuit["z"].grad == 3.0
    assert circuit.grads == {"x": -4.0, "y": -4.0, "z": 3.0, "f": 1.0}
    assert circuit.values == {"x": -2.0, "y": 5.0, "z": -4.0, "f": -12.0}
    assert circuit.inputs == {"x": -2.0, "y": 5.0, "z": -4.0}
    assert circuit.output.name == "f" and circuit.output.op == "mul"
    plus = circuit[circuit.output.inputs[0]]
    assert (plus.op, plus.value, plus.grad, plus.name) == ("add", 3.0, -4.0, None)
    assert [(s["phase"], s["node"]) for s in circuit.steps][-2:] == [
        ("backward", "n4"), ("backward", "n2")]
    seed = circuit.steps[-2]
    assert seed["seed"] and [(e["input"], e["local"], e["product"]) for e in seed["edges"]] == [
        ("n2", -4.0, -4.0), ("n3", 3.0, 3.0)]
    assert len(circuit) == 5 and "x" in circuit and "n2" in circuit and "q" not in circuit
    assert repr(circuit) == "<Circuit f = -12: 5 nodes, inputs x, y, z>"


def test_the_answer_is_the_apis(client: TestClient) -> None:
    body = {"source": CS231N, "values": {"x": -2, "y": 5, "z": -4}}
    assert lab.circuit(CS231N, body["values"]).to_json() == client.post("/api/graph",
                                                                        json=body).json()


def test_values_from_python() -> None:
    """Keywords or a dict; numpy arrays and scalars; NaN and infinity as floats."""
    circuit = lab.circuit("f = sum(W @ x)", {"W": np.array([[1.0, 2.0], [3.0, 4.0]])},
                          x=[np.float32(1), 2])
    assert circuit.value == 16.0
    assert isinstance(circuit["W"].grad, np.ndarray)
    np.testing.assert_array_equal(circuit["W"].grad, [[1, 2], [1, 2]])
    np.testing.assert_array_equal(circuit.grads["x"], [4, 6])
    assert circuit["W"].shape == (2, 2)
    nan = lab.circuit("f = x * 2", x=float("nan"))
    assert math.isnan(nan.value) and nan.warnings
    assert lab.circuit("f = x + 1", x=float("inf")).value == math.inf
    const = lab.circuit("f = x * (2 + 3)", x=1)
    assert [n.grad for n in const if n.op == "const"] == [None, None]


def test_teaching_tools() -> None:
    circuit = lab.circuit("f = sigmoid(x * w)", x=2, w=-1)
    expanded = circuit.expanded()
    assert len(expanded) > len(circuit)
    assert expanded["x"].grad == pytest.approx(circuit["x"].grad, rel=1e-12)
    check = circuit.gradcheck()
    assert check["x"]["ok"] and check["w"]["ok"]
    assert "dx" in circuit.code and "dw" in circuit.code


@pytest.mark.parametrize(("source", "values"), [
    ("f = sigmod(x)", {"x": 1}),
    ("f = (x + ", {}),
    ("f = x + y", {"x": 1}),
    ("f = W @ x", {"W": [[1, 2, 3], [4, 5, 6]], "x": [1, 2]}),
    ("f = x + 1", {"x": "one"}),
])
def test_errors_carry_the_envelopes_fields(client: TestClient, source: str,
                                           values: dict) -> None:
    """The exception has the API's type, line and column (and the envelope itself)."""
    answer = client.post("/api/graph", json={"source": source, "values": values})
    assert answer.status_code == 400
    expected = check_envelope(answer.json(), 400)
    with pytest.raises(lab.LabError) as caught:
        lab.circuit(source, values)
    err = caught.value
    assert (err.type, err.line, err.column, err.end_line, err.end_column) == (
        expected["type"], expected["line"], expected["column"], expected["end_line"],
        expected["end_column"])
    assert err.envelope() == answer.json()
    assert str(err) == expected["message"]


def test_import_backprop_lab_is_the_same_api() -> None:
    assert backprop_lab.circuit is lab.circuit and backprop_lab.LabError is lab.LabError
    assert backprop_lab.sigmoid is lab.sigmoid and backprop_lab.sum is lab.sum
    namespace: dict = {}
    exec("from backprop_lab import *", namespace)  # noqa: S102 - a fixed statement
    assert "circuit" in namespace and "trace" in namespace and "sigmoid" in namespace
    assert not {"sum", "max", "min", "abs"} & set(namespace), "builtins stay builtins"
    with pytest.raises(AttributeError):
        backprop_lab.sigmod  # noqa: B018


def svg_of(html: str) -> str:
    """The SVG an output shows, from its <img>'s data: URL."""
    found = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert found, html[:300]
    return base64.b64decode(found.group(1)).decode("utf-8")


def test_the_circuit_draws_itself_as_html() -> None:
    """_repr_html_: an SVG with every wire's value and gradient, and a table of the named
    nodes; text only, no script or style element (a sanitising viewer keeps it)."""
    html = lab.circuit(CS231N, x=-2, y=5, z=-4)._repr_html_()
    assert "<script" not in html and "<style" not in html
    svg = svg_of(html)
    assert svg.startswith("<svg") and "<script" not in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    # values above the wires: −2, 5, 3, −4, −12; gradients: −4, −4, −4, 3, 1; the gates
    for shown in ("−2", "5", "3", "−4", "−12", "1", "+", "×", "x", "y", "z", "f"):
        assert shown in texts, (shown, texts)
    assert "f = −12, gradient 1" in html  # in the image's alt text too
    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<table", 1)[1])
    assert len(rows) == 5  # the head, x, y, z, f
    assert "f (output)" in rows[-1] and "−12" in rows[-1]
    assert lab.circuit(CS231N, x=-2, y=5, z=-4).svg().startswith("<svg")


def test_tensors_draw_their_numbers() -> None:
    small = lab.circuit("W = [[1, 2], [3, 4]]\nf = sum(W * W)")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", circuit_svg(small.answer))
    assert {"[2×2]", "1", "4", "2", "8"} <= set(texts)  # W and its gradient 2W
    big = lab.circuit("f = sum(x * x)", x=np.arange(100.0).reshape(10, 10).tolist())
    svg = circuit_svg(big.answer)
    assert svg.count("rgb(") > 100  # a colour map, not 100 numbers


@pytest.mark.parametrize(("x", "text"), [
    (0, "0"), (-4, "−4"), (0.70710678, "0.707"), (12345, "12300"), (123456, "1.23e+5"),
    (0.000123, "1.23e-4"), ("NaN", "NaN"), ("-Infinity", "−∞"), (2.0595697, "2.06")])
def test_numbers_are_written_as_the_page_writes_them(x: object, text: str) -> None:
    assert num(x) == text
