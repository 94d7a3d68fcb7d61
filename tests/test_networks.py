"""The network builder: both forms compute the same network, Mazur's numbers come out.

The neuron form's gradient of every scalar must equal the tensor form's gradient
of the element `params` maps it to, on random small networks of every
activation and loss; the tensor form must agree with a plain numpy forward pass
(seed 004's) on whole batches.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from app.cli.main import main
from app.engine import Evaluation
from app.errors import LabError
from app.networks import ACTIVATIONS, LOSSES, MAZUR, NetworkSpec, network
from app.pipeline import graph_response, run
from tests.helpers import assert_error, strict_json

MAZUR_E = 0.298371109
MAZUR_DW5 = 0.082167041
MAZUR_DW1 = 0.000438568


def by_name(ev: Evaluation) -> dict[str, int]:
    return {node.name: node.id for node in ev.graph.nodes if node.name}


def element(array: np.ndarray, index: list[int]) -> float:
    return float(np.asarray(array)[tuple(index)])


def random_spec(rng: np.random.Generator) -> dict:
    """A random network small enough for the neuron form: one row, unrounded inputs."""
    depth = int(rng.integers(2, 5))
    sizes = [int(s) for s in rng.integers(1, 4, depth)]
    loss = str(rng.choice(LOSSES))
    if loss == "cross_entropy":
        sizes[-1] = max(2, sizes[-1])
    spec = {"sizes": sizes, "activation": str(rng.choice(ACTIVATIONS)),
            "output": str(rng.choice(["sigmoid", "none"])), "loss": loss,
            "seed": int(rng.integers(0, 1000)), "shared_bias": bool(rng.integers(0, 2)),
            "x": rng.normal(0, 1, (1, sizes[0])).tolist()}
    if loss != "cross_entropy":
        spec["targets"] = rng.uniform(-1, 1, (1, sizes[-1])).tolist()
    return spec


def reference_loss(spec: NetworkSpec) -> float:
    """Seed 004's numpy forward pass (X.dot(W1) + b1 …), written independently of both forms."""
    act = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh,
           "relu": lambda z: np.maximum(z, 0), "none": lambda z: z}
    a = np.asarray(spec.x)
    for k, (w, b) in enumerate(zip(spec.weights, spec.biases, strict=True)):
        last = k == len(spec.weights) - 1
        a = act[spec.output if last else spec.activation](a.dot(np.asarray(w)) + np.asarray(b))
    if spec.loss == "cross_entropy":
        probs = np.exp(a) / np.sum(np.exp(a), axis=1, keepdims=True)
        return float(np.mean(-np.log(probs[range(len(a)), spec.targets])))
    diff = a - np.asarray(spec.targets)
    return float(np.sum(0.5 * diff ** 2) if spec.loss == "half_sse" else np.mean(diff ** 2))


# ---------------------------------------------------------------- Mazur

def test_mazur_in_both_forms_through_the_engine() -> None:
    net = network(**MAZUR)
    assert net.neuron is not None and net.neuron_reason is None
    tensor, neuron = run(net.tensor), run(net.neuron)
    t, n = by_name(tensor), by_name(neuron)
    assert float(neuron.value(n["E"])) == pytest.approx(MAZUR_E, abs=1e-9)
    assert float(tensor.value(t["E"])) == pytest.approx(MAZUR_E, abs=1e-9)
    assert float(neuron.grad(n["w5"])) == pytest.approx(MAZUR_DW5, abs=1e-9)
    assert float(neuron.grad(n["w1"])) == pytest.approx(MAZUR_DW1, abs=1e-9)
    assert net.params["w5"] == {"tensor": "W2", "index": [0, 0], "kind": "weight"}
    assert element(tensor.grad(t["W2"]), [0, 0]) == pytest.approx(MAZUR_DW5, abs=1e-9)
    assert element(tensor.grad(t["W1"]), [0, 0]) == pytest.approx(MAZUR_DW1, abs=1e-9)


def test_mazur_names_follow_seed_004() -> None:
    net = network(**MAZUR)
    lines = net.neuron.splitlines()
    assert lines[:2] == ["i1 = 0.05", "i2 = 0.1"]
    assert "h1 = sigmoid(w1*i1 + w2*i2 + b1)" in lines
    assert "h2 = sigmoid(w3*i1 + w4*i2 + b1)" in lines
    assert "o1 = sigmoid(w5*h1 + w6*h2 + b2)" in lines
    assert "o2 = sigmoid(w7*h1 + w8*h2 + b2)" in lines
    assert lines[-1] == "E = 0.5*(t1 - o1)^2 + 0.5*(t2 - o2)^2"
    # w1 = i1→h1, w2 = i2→h1, w3 = i1→h2: weight w of neuron j from input i is W[i, j]
    assert [net.params[f"w{k}"]["index"] for k in range(1, 5)] == [[0, 0], [1, 0], [0, 1],
                                                                   [1, 1]]
    assert net.params["b1"] == {"tensor": "b1", "index": [], "kind": "bias"}
    assert net.params["t2"] == {"tensor": "T", "index": [0, 1], "kind": "target"}
    assert "W1 = [[0.15, 0.25], [0.2, 0.3]]" in net.tensor.splitlines()
    assert net.tensor.splitlines()[-3:] == ["H1 = sigmoid(X @ W1 + b1)",
                                            "O = sigmoid(H1 @ W2 + b2)",
                                            "E = sum(0.5*(T - O)^2)"]


def test_per_neuron_biases_are_numbered_across_layers() -> None:
    net = network(**{**MAZUR, "shared_bias": False, "biases": [[0.35, 0.35], [0.6, 0.6]]})
    assert "h2 = sigmoid(w3*i1 + w4*i2 + b2)" in net.neuron
    assert "o1 = sigmoid(w5*h1 + w6*h2 + b3)" in net.neuron
    assert net.params["b3"] == {"tensor": "b2", "index": [0], "kind": "bias"}
    assert float(run(net.neuron).value(by_name(run(net.neuron))["E"])) == pytest.approx(
        MAZUR_E, abs=1e-9)


# ---------------------------------------------------------------- both forms agree

def assert_forms_agree(net) -> None:
    tensor, neuron = run(net.tensor), run(net.neuron)
    t, n = by_name(tensor), by_name(neuron)
    inputs = set(neuron.graph.input_ids)
    assert inputs <= set(net.params), inputs - set(net.params)
    for name, where in net.params.items():
        tv, nv = tensor.value(t[where["tensor"]]), neuron.value(n[name])
        assert element(tv, where["index"]) == pytest.approx(float(nv), rel=1e-12, abs=1e-12)
        tg, ng = tensor.grad(t[where["tensor"]]), neuron.grad(n[name])
        assert abs(element(tg, where["index"]) - float(ng)) <= 1e-9, (name, net.neuron)


@pytest.mark.parametrize("case", range(60))
def test_random_networks_agree_scalar_by_scalar(case: int) -> None:
    net = network(**random_spec(np.random.default_rng(case)))
    assert net.neuron is not None
    assert_forms_agree(net)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_activation_and_loss_at_the_neuron_limit(activation: str, loss: str) -> None:
    net = network([2, 8, 4, 4], activation=activation, loss=loss, seed=7)  # 64 weights
    assert net.neuron is not None
    assert_forms_agree(net)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("rows", [1, 5])
def test_tensor_form_matches_numpy_on_batches(loss: str, rows: int) -> None:
    rng = np.random.default_rng(rows)
    x = rng.normal(0, 1, (rows, 3)).tolist()
    targets = (rng.integers(0, 4, rows).tolist() if loss == "cross_entropy"
               else rng.uniform(0, 1, (rows, 4)).tolist())
    net = network([3, 5, 4], activation="tanh", loss=loss, x=x, targets=targets, seed=rows)
    ev = run(net.tensor)
    value = float(ev.value(by_name(ev)[net.spec.loss_name]))
    assert value == pytest.approx(reference_loss(net.spec), rel=1e-12)


def test_cross_entropy_gradient_is_seed_004s_delta() -> None:
    """dW2 = a1ᵀ · (probs − onehot) / N, as seed 004's backward pass computes it."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(0, 1, (6, 2)).tolist(), [0, 1, 1, 0, 1, 0]
    net = network([2, 3, 2], activation="tanh", loss="cross_entropy", x=x, targets=y)
    ev = run(net.tensor)
    w1, b1, w2, b2 = (np.asarray(v) for v in (*net.spec.weights[:1], net.spec.biases[0],
                                                net.spec.weights[1], net.spec.biases[1]))
    a1 = np.tanh(np.asarray(x).dot(w1) + b1)
    z2 = a1.dot(w2) + b2
    delta3 = np.exp(z2) / np.sum(np.exp(z2), axis=1, keepdims=True)
    delta3[range(6), y] -= 1
    np.testing.assert_allclose(ev.grad(by_name(ev)["W2"]), a1.T.dot(delta3) / 6, atol=1e-12)


def test_tensor_form_uses_the_loss_gates() -> None:
    mse = network([2, 2], loss="mse", seed=1).tensor.splitlines()
    assert mse[-1] == "loss = mse(O, T)"
    ce = network([2, 3, 3], loss="cross_entropy", x=[[1, 2], [3, 4]], targets=[2, 0]).tensor
    assert "y = [2, 0]" in ce.splitlines() and ce.splitlines()[-1] == "loss = cross_entropy(O, y)"
    assert "O = H1 @ W2 + b2" in ce.splitlines()  # logits: no output activation by default


# ---------------------------------------------------------------- defaults and limits

def test_defaults_are_seeded_rounded_and_independent() -> None:
    a, b = network([2, 3, 2], seed=5), network([2, 3, 2], seed=5)
    assert a.tensor == b.tensor and a.neuron == b.neuron
    assert network([2, 3, 2], seed=6).tensor != a.tensor
    for matrix in a.spec.weights:
        assert all(v == round(v, 2) for row in matrix for v in row)
    given = network([2, 3, 2], seed=5, weights=[[[1, 2, 3], [4, 5, 6]], [[1, 2]] * 3])
    assert given.spec.biases == a.spec.biases and given.spec.x == a.spec.x
    assert a.spec.output == "sigmoid" and network([2, 2], loss="cross_entropy").spec.output == \
        "none"


def test_neuron_form_is_refused_with_a_reason() -> None:
    batch = network([2, 2, 2], x=[[0, 1], [1, 0]])
    assert batch.neuron is None and "2 rows" in batch.neuron_reason and batch.params == {}
    wide = network([8, 8, 2])
    assert wide.neuron is None and "80" in wide.neuron_reason


@pytest.mark.parametrize(("spec", "type_", "where"), [
    ({"sizes": [2]}, "value", "sizes"),
    ({"sizes": [2, 9]}, "too_large", "sizes[1]"),
    ({"sizes": [2, 2, 2, 2, 2, 2]}, "too_large", "sizes"),
    ({"sizes": [2, 0]}, "value", "sizes[1]"),
    ({"sizes": [2, 2], "activation": "softplus"}, "value", "activation"),
    ({"sizes": [2, 2], "loss": "hinge"}, "value", "loss"),
    ({"sizes": [2, 2], "x": [[1]]}, "shape", "X[0]"),
    ({"sizes": [2, 2], "x": [1, 2]}, "shape", "X"),
    ({"sizes": [2, 2], "x": [[1, 2]] * 65}, "too_large", "X"),
    ({"sizes": [2, 2], "x": [[float("nan"), 1]]}, "value", "X[0][0]"),
    ({"sizes": [2, 2], "x": [[10 ** 400, 1]]}, "value", "X[0][0]"),
    ({"sizes": [2, 2], "targets": [0.1, 0.2]}, "shape", "targets"),
    ({"sizes": [2, 2], "targets": [[0.1, 0.2], [0, 0]]}, "shape", "targets"),
    ({"sizes": [2, 2], "loss": "cross_entropy", "targets": [2]}, "value", "targets[0]"),
    ({"sizes": [2, 2], "loss": "cross_entropy", "targets": [[0, 1]]}, "value", "targets"),
    ({"sizes": [2, 1], "loss": "cross_entropy"}, "value", "sizes"),
    ({"sizes": [2, 2], "weights": [[[1, 2]]]}, "shape", "weights[0]"),
    ({"sizes": [2, 2], "weights": []}, "shape", "weights"),
    ({"sizes": [2, 2], "biases": [1]}, "shape", "biases[0]"),
    ({"sizes": [2, 2], "biases": [[1, 2]], "shared_bias": True}, "value", "biases[0]"),
    ({"sizes": [2, 2], "seed": -1}, "value", "seed"),
])
def test_bad_specs_name_the_field(spec: dict, type_: str, where: str) -> None:
    with pytest.raises(LabError) as caught:
        network(**spec)
    assert caught.value.type == type_ and caught.value.info["where"] == where


# ---------------------------------------------------------------- the API

MAZUR_REQUEST = {"sizes": [2, 2, 2], "activation": "sigmoid", "output": "sigmoid",
                 "loss": "half_sse", "X": [[0.05, 0.1]], "targets": [[0.01, 0.99]],
                 "weights": [[[0.15, 0.25], [0.2, 0.3]], [[0.4, 0.5], [0.45, 0.55]]],
                 "biases": [0.35, 0.6], "shared_bias": True}


def graph_nodes(client, source: str) -> dict[str, dict]:
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 200, response.text
    return {n["name"]: n for n in strict_json(response.text)["nodes"] if n["name"]}


def test_api_mazur_in_both_forms(client) -> None:
    response = client.post("/api/network", json=MAZUR_REQUEST)
    assert response.status_code == 200, response.text
    body = strict_json(response.text)
    assert set(body) == {"tensor", "neuron", "neuron_reason", "params", "spec"}
    assert body["neuron_reason"] is None
    assert body["spec"] == {**MAZUR_REQUEST, "seed": 0}
    tensor, neuron = graph_nodes(client, body["tensor"]), graph_nodes(client, body["neuron"])
    assert neuron["E"]["value"] == pytest.approx(MAZUR_E, abs=1e-9)
    assert tensor["E"]["value"] == pytest.approx(MAZUR_E, abs=1e-9)
    assert neuron["w5"]["grad"] == pytest.approx(MAZUR_DW5, abs=1e-9)
    assert neuron["w1"]["grad"] == pytest.approx(MAZUR_DW1, abs=1e-9)
    for name, where in body["params"].items():
        grad = element(tensor[where["tensor"]]["grad"], where["index"])
        assert grad == pytest.approx(neuron[name]["grad"], abs=1e-12), name
    assert element(tensor["W2"]["grad"], body["params"]["w5"]["index"]) == pytest.approx(
        MAZUR_DW5, abs=1e-9)


def test_api_spec_round_trips_and_large_networks_have_no_neuron_form(client) -> None:
    first = client.post("/api/network", json={"sizes": [3, 8, 8, 2], "loss": "cross_entropy",
                                              "activation": "relu", "seed": 11}).json()
    assert first["neuron"] is None and "weights" in first["neuron_reason"]
    assert first["params"] == {} and first["spec"]["output"] == "none"
    again = client.post("/api/network", json=first["spec"]).json()
    assert again == first
    assert graph_nodes(client, first["tensor"])["loss"]["grad"] == 1


def test_api_in_the_openapi_schema(client) -> None:
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/api/network"]["post"]
    assert {"200", "400", "413", "422"} <= set(post["responses"])
    request = schema["components"]["schemas"]["NetworkRequest"]
    assert request["required"] == ["sizes"]
    assert request["properties"]["sizes"]["maxItems"] == 5


@pytest.mark.parametrize(("body", "status", "type_"), [
    ({}, 422, "request"),
    ({"sizes": [2, 9]}, 422, "request"),
    ({"sizes": [2, 2, 2, 2, 2, 2]}, 422, "request"),
    ({"sizes": [2, 2], "activation": "softplus"}, 422, "request"),
    ({"sizes": [2, 2], "X": [[1, 2]] * 65}, 422, "request"),
    ({"sizes": [2, 2], "X": [[True, 2]]}, 422, "request"),
    ({"sizes": [2, 2], "seed": -1}, 422, "request"),
    ({"sizes": [2, 2], "extra": 1}, 422, "request"),
    ({"sizes": [2, 2], "X": [[1]]}, 400, "shape"),
    ({"sizes": [2, 2], "X": [[1, 2]], "targets": [[1, 2], [3, 4]]}, 400, "shape"),
    ({"sizes": [2, 2], "weights": [[[1, 2], [3, 4]], [[1, 2], [3, 4]]]}, 400, "shape"),
    ({"sizes": [2, 2], "biases": [0.5]}, 400, "shape"),
    ({"sizes": [2, 3], "loss": "cross_entropy", "targets": [3]}, 400, "value"),
    ({"sizes": [2, 3], "loss": "cross_entropy", "targets": [[0, 1, 0]]}, 400, "value"),
    ({"sizes": [2, 1], "loss": "cross_entropy"}, 400, "value"),
])
def test_api_bad_requests_are_4xx_in_the_envelope(client, body, status, type_) -> None:
    error = assert_error(client.post("/api/network", json=body), status, type_)
    if status == 400:
        assert error["args"]["where"]


@pytest.mark.parametrize("raw", [b'{"sizes": [2, 2], "X": [[NaN, 1]]}',
                                 b'{"sizes": [2, 2], "X": [[1e400, 1]]}',
                                 b'{"sizes": [2, 2], "seed": 1' + b"0" * 400 + b"}",
                                 b'{"sizes": [2, 2], "X": [[1' + b"0" * 400 + b", 1]]}",
                                 b'{"sizes": "2,2"}', b"[2, 2]", b"{"])
def test_api_hostile_bodies_are_422(client, raw: bytes) -> None:
    response = client.post("/api/network", content=raw,
                           headers={"content-type": "application/json"})
    assert_error(response, 422, "request")


# ---------------------------------------------------------------- the CLI

def test_cli_prints_programs_that_evaluate(capsys) -> None:
    assert main(["network", "--mazur", "--form", "neuron"]) == 0
    neuron = capsys.readouterr().out
    assert neuron == network(**MAZUR).neuron
    nodes = {n["name"]: n for n in graph_response(neuron)["nodes"] if n["name"]}
    assert nodes["E"]["value"] == pytest.approx(MAZUR_E, abs=1e-9)
    assert nodes["w5"]["grad"] == pytest.approx(MAZUR_DW5, abs=1e-9)
    assert main(["network", "--sizes", "3,4,2", "--activation", "relu", "--loss",
                 "cross_entropy", "--seed", "3"]) == 0
    tensor = capsys.readouterr().out
    assert tensor == network([3, 4, 2], activation="relu", loss="cross_entropy", seed=3).tensor
    assert main(["eval", tensor]) == 0
    assert "loss*" in capsys.readouterr().out


def test_cli_json_is_the_api_body(client, capsys) -> None:
    args = ["network", "--sizes", "2,3,1", "-X", "[[0.5, -1]]", "--targets", "[[0.25]]",
            "--loss", "half_sse", "--shared-bias", "--seed", "9", "--json"]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    body = {"sizes": [2, 3, 1], "X": [[0.5, -1]], "targets": [[0.25]], "loss": "half_sse",
            "shared_bias": True, "seed": 9}
    assert printed == client.post("/api/network", json=body).json()


def test_cli_errors_exit_2(capsys) -> None:
    assert main(["network", "--sizes", "2,9"]) == 2
    assert "error (too_large)" in capsys.readouterr().err
    assert main(["network", "-X", "[[1, 2], [3, 4]]", "--form", "neuron"]) == 2
    assert "2 rows" in capsys.readouterr().err
    assert main(["network", "--sizes", "2,2", "-X", "[[1]]", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["type"] == "shape"


def test_cli_pipes_into_eval() -> None:
    network_cmd = [sys.executable, "-m", "app", "network", "--sizes", "2,3,2", "--activation",
                   "tanh", "--form", "neuron"]
    program = subprocess.run(network_cmd, capture_output=True, text=True, timeout=60, check=True)
    result = subprocess.run([sys.executable, "-m", "app", "eval", "-", "--json"],
                            input=program.stdout, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    nodes = {n["name"]: n for n in json.loads(result.stdout)["nodes"] if n["name"]}
    assert nodes["loss"]["grad"] == 1 and "w12" in nodes and "w13" not in nodes
