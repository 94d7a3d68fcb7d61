"""One step of gradient descent after the backward pass (`"lr"`, `"params"` of /api/graph)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.examples import example
from app.main import app

client = TestClient(app)


def post(source: str, **fields) -> dict:
    response = client.post("/api/graph", json={"source": source, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def steps(body: dict) -> dict[str, dict]:
    return {p["name"]: p for p in body["update"]["params"]}


def test_mazurs_update_at_rate_one_half() -> None:
    """Mazur's worked example: w5⁺ = 0.35891648 and w1⁺ = 0.149780716."""
    body = post(example("mazur-network")["source"], lr=0.5)
    update = steps(body)
    assert math.isclose(update["w5"]["new"], 0.35891648, abs_tol=5e-9)
    assert math.isclose(update["w1"]["new"], 0.149780716, abs_tol=5e-10)
    assert update["w5"]["value"] == 0.4
    assert math.isclose(update["w5"]["grad"], 0.082167041, abs_tol=5e-10)
    # the data stays put: inputs and targets are not parameters
    assert set(update) == {f"w{k}" for k in range(1, 9)} | {"b1", "b2"}
    assert body["update"]["data"] == ["i1", "i2", "t1", "t2"]
    assert body["update"]["lr"] == 0.5
    assert math.isclose(body["update"]["loss"], 0.298371109, abs_tol=5e-10)


def test_without_update_fields_there_is_no_update() -> None:
    assert "update" not in post("f = x * 2", values={"x": 3})


def test_a_program_without_weight_names_trains_every_input() -> None:
    body = post("f = (x + y) * z", values={"x": -2, "y": 5, "z": -4}, lr=0.1)
    update = steps(body)
    assert set(update) == {"x", "y", "z"}
    assert math.isclose(update["z"]["new"], -4 - 0.1 * 3)
    assert body["update"]["data"] == []


def test_chosen_parameters_and_tensors() -> None:
    body = post(example("tanh-mlp-softmax")["source"], lr=0.25, params=["W2", "b2"])
    update = steps(body)
    assert list(update) == ["W2", "b2"]
    nodes = {n["name"]: n for n in body["nodes"] if n["name"]}
    want = np.array(nodes["W2"]["value"]) - 0.25 * np.array(nodes["W2"]["grad"])
    np.testing.assert_allclose(update["W2"]["new"], want)
    assert body["update"]["data"] == ["X", "y", "W1", "b1"]


def test_the_default_never_trains_class_labels() -> None:
    body = post(example("tanh-mlp-softmax")["source"], lr=0.1)
    assert set(steps(body)) == {"W1", "b1", "W2", "b2"}
    body = post("f = cross_entropy(s, c)", values={"s": [1.0, 2.0], "c": 1}, lr=0.1)
    assert set(steps(body)) == {"s"}


@pytest.mark.parametrize(("fields", "key"), [
    ({"lr": 0.1, "params": ["w9"]}, "update_param"),
    ({"lr": 0.1, "params": ["f"]}, "update_param"),
])
def test_a_parameter_must_be_an_input(fields: dict, key: str) -> None:
    response = client.post("/api/graph", json={"source": "w = 2\nf = w * 3", **fields})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["key"] == key and error["type"] == "value"
    assert "only inputs can be trained" in error["message"]


def test_a_class_label_is_not_a_parameter() -> None:
    response = client.post("/api/graph", json={
        "source": "s = [1.0, 2.0]\nc = 1\nf = cross_entropy(s, c)", "lr": 0.1, "params": ["c"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["key"] == "update_label" and (error["line"], error["column"]) == (2, 1)


@pytest.mark.parametrize("lr", ["NaN", "Infinity", "0.1", True, 1e9])
def test_the_learning_rate_is_a_finite_number(lr) -> None:
    response = client.post("/api/graph", json={"source": "w = 2\nf = w * 3", "lr": lr})
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "request"
