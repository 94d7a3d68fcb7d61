"""Every 200 answer of every route is what its response model says (app/api/schemas.py).

The models are what /docs shows, and they are closed and strict (`Out`): a field they do
not name, a missing field or a value of the wrong kind fails `model_validate`. Each
route's answers are validated here — every preset with and without the teaching tools
through /api/graph (the gradient check, the staged code, the nudge plot, one step of
gradient descent, expanded gates, the full trace and the elided one), networks, every
data set, the op catalogue, the presets, health, training as JSON and as a stream (its
start, progress and done events), the training status and a cancel — and the CLI's
`--json`, which prints the same bodies. A route the schema lists without a 200 model, or
without a test here, fails the first test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import BaseModel, ValidationError

from app.api.schemas import (
    CsvPoints,
    DatasetResponse,
    Example,
    ExamplesResponse,
    GraphAnswer,
    GraphColumnsResponse,
    GraphResponse,
    Health,
    NetworkResponse,
    OpsResponse,
    OptimizersResponse,
    TrainCancelled,
    TrainControlled,
    TrainProgress,
    TrainResponse,
    TrainStart,
    TrainStatus,
    TrainView,
)
from app.cli.main import main as cli
from app.examples import EXAMPLES
from app.main import app
from app.training.example import MAZUR_RUN, SEED_004_RUN
from app.training.pool import POOL
from tests.helpers import strict_json

# (method, path) → the model of its 200 answer, as the routes declare it.
ROUTES: dict[tuple[str, str], type[BaseModel]] = {
    ("post", "/api/graph"): GraphAnswer,
    ("post", "/api/network"): NetworkResponse,
    ("post", "/api/train"): TrainResponse,
    ("post", "/api/train/{run_id}/cancel"): TrainCancelled,
    ("post", "/api/train/{run_id}/control"): TrainControlled,
    ("post", "/api/train/view"): TrainView,
    ("post", "/api/points/csv"): CsvPoints,
    ("get", "/api/optimizers"): OptimizersResponse,
    ("get", "/api/train/status"): TrainStatus,
    ("get", "/api/datasets/{name}"): DatasetResponse,
    ("get", "/api/ops"): OpsResponse,
    ("get", "/api/examples"): ExamplesResponse,
    ("get", "/api/examples/{example_id}"): Example,
    ("get", "/healthz"): Health,
}
SMALL = {**SEED_004_RUN, "passes": 200}


def valid(model: type[BaseModel], response: Any) -> dict[str, Any]:
    """The answer is a 200 in strictly valid JSON that its model accepts; its body."""
    assert response.status_code == 200, (response.status_code, response.text[:500])
    body = strict_json(response.text)
    model.model_validate(body)
    return body


def test_every_route_declares_its_200_model_and_is_tested_here(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    declared, pages = {}, set()
    for path, methods in paths.items():
        for method, spec in methods.items():
            content = spec["responses"]["200"]["content"]
            if "application/json" not in content:
                assert list(content) == ["text/html"], (method, path)
                pages.add((method, path))
                continue
            schema = content["application/json"]["schema"]
            declared[(method, path)] = schema.get("$ref", "").rsplit("/", 1)[-1]
    assert declared == {k: model.__name__ for k, model in ROUTES.items()}
    # the one route that answers a file to save (tests/test_lesson.py holds it)
    assert pages == {("post", "/api/lesson")}


def test_the_models_are_strict_enough_to_catch_a_wrong_field(client) -> None:
    body = client.post("/api/graph", json={"source": "f = x * 2", "values": {"x": 3}}).json()
    GraphResponse.model_validate(body)
    for broken in ({**body, "extra": 1},
                   {**body, "nodes": [{**body["nodes"][0], "value": "3"}] + body["nodes"][1:]},
                   {**body, "nodes": [{**body["nodes"][0], "shape": [1.0]}] + body["nodes"][1:]},
                   {k: v for k, v in body.items() if k != "layout"}):
        with pytest.raises(ValidationError):
            GraphResponse.model_validate(broken)


# ---------------------------------------------------------------- POST /api/graph


def teaching_options(plain: dict[str, Any]) -> list[dict[str, Any]]:
    """Every teaching tool a preset can take, from its plain answer."""
    nodes = {n["id"]: n for n in plain["nodes"]}
    scalar_inputs = [n["name"] for n in plain["nodes"] if n["op"] == "input" and not n["shape"]]
    composite = [n["id"] for n in plain["nodes"] if n.get("composite")]
    options: list[dict[str, Any]] = [
        {"check": True, "code": True},
        {"lr": 0.1},
        {"expand": True, "full_trace": True},
    ]
    if composite:
        options.append({"expand": composite[:1], "check": True})
    if scalar_inputs:
        options.append({"lr": 1, "params": scalar_inputs[:1]})
        if not nodes[plain["output"]]["shape"]:
            options.append({"sweep": {"input": scalar_inputs[0], "points": 5}})
            options.append({"sweep": {"input": scalar_inputs[0], "from": -1.5, "to": 2,
                                      "points": 3}, "expand": True})
    return options


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_every_preset_with_every_teaching_tool(client, example: dict[str, Any]) -> None:
    base = {"source": example["source"], "expand": example.get("expand", False)}
    plain = valid(GraphResponse, client.post("/api/graph", json=base))
    valid(GraphColumnsResponse, client.post("/api/graph", json={**base, "format": "columns"}))
    for options in teaching_options(plain):
        body = valid(GraphResponse, client.post("/api/graph", json={**base, **options}))
        for key in ("check", "code", "lr", "sweep"):
            if key in options:
                assert body[{"check": "gradcheck", "lr": "update"}.get(key, key)] is not None


@pytest.mark.parametrize("request_body", [
    {"source": "f = x / y + log(z)", "values": {"x": 1, "y": 0, "z": -1}},  # ∞ and NaN
    {"source": "x = [1, 2]\nf = x * 2", "values": {"x": ["NaN", "Infinity"]}, "check": True},
    {"source": "W = [[1, 2], [3, 4]]\nx = [1, -1]\nf = relu(W @ x)", "seed": [2, 3]},
    {"source": "f = 2 * 3 + 1"},  # constants only: no gradients at all
    {"source": "t = [[" + ", ".join("1" for _ in range(12)) + "]] * 12\n"
               "W = t + t\nf = sum(tanh(W) * W)"},  # tensors past 64 numbers: elided trace
    {"source": "t = [[" + ", ".join("1" for _ in range(12)) + "]] * 12\n"
               "f = sum(exp(t) * t)", "full_trace": True},
    {"source": "X = [[1, 2], [3, 4]]\ny = [0, 1]\nW = [[1, 0], [0, 1]]\n"
               "f = cross_entropy(X @ W, y)", "lr": 0.5, "check": True, "code": True},
    {"source": "x = [[1, 2, 3, 4], [5, 6, 7, 8], [1, 2, 3, 4], [5, 6, 7, 8]]\n"
               "f = sum(max_pool(x, 2)) + sum(mean(mean_pool(x, 2), 0))"},
])
def test_edge_cases_of_the_graph_answer(client, request_body: dict[str, Any]) -> None:
    valid(GraphResponse, client.post("/api/graph", json=request_body))


def test_the_cli_prints_the_same_bodies(capsys) -> None:
    assert cli(["eval", "f = sigmoid(x * w)", "x=2", "w=-1", "--json", "--check", "--code",
                "--sweep", "x:-1:1:3", "--lr", "0.1", "--expand"]) == 0
    GraphResponse.model_validate(json.loads(capsys.readouterr().out))
    assert cli(["network", "--mazur", "--json"]) == 0
    NetworkResponse.model_validate(json.loads(capsys.readouterr().out))


# ---------------------------------------------------------------- the other GETs and networks


def test_the_catalogue_the_presets_and_health(client) -> None:
    ops = valid(OpsResponse, client.get("/api/ops"))
    assert len(ops["ops"]) > 20
    examples = valid(ExamplesResponse, client.get("/api/examples"))
    assert any(e.get("train") for e in examples["examples"])
    for listed in examples["examples"][:2] + examples["large"]:
        valid(Example, client.get(f"/api/examples/{listed['id']}"))
    valid(Health, client.get("/healthz"))
    optimizers = valid(OptimizersResponse, client.get("/api/optimizers"))
    assert [o["name"] for o in optimizers["optimizers"]] == ["sgd", "momentum", "adam"]


def test_the_optimisers_update_and_csv_points(client) -> None:
    for optimizer in ({"name": "momentum", "mu": 0.5}, {"name": "adam"}):
        body = valid(GraphResponse, client.post("/api/graph", json={
            "source": MAZUR_RUN["source"], "lr": 0.5, "optimizer": optimizer,
            "optimizer_state": {"t": 3, "params": {"w5": {"v": 0.1}}}}))
        assert body["update"]["optimizer"]["name"] == optimizer["name"]
    valid(CsvPoints, client.post("/api/points/csv", json={"csv": "1,2,0\n3,4,1\n5,6,1\n7,8,0"}))
    valid(CsvPoints, client.post("/api/points/csv", json={"csv": "1,2,.5\n3,4,1\n5,6,1\n7,8,0"}))


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spiral"])
def test_every_data_set(client, name: str) -> None:
    valid(DatasetResponse, client.get(f"/api/datasets/{name}?n=20"))
    valid(DatasetResponse, client.get(f"/api/datasets/{name}?n=4&noise=0&seed=7"))


@pytest.mark.parametrize("spec", [
    {"sizes": [2, 2, 2], "activation": "sigmoid", "output": "sigmoid", "loss": "half_sse",
     "X": [[0.05, 0.1]], "targets": [[0.01, 0.99]],
     "weights": [[[0.15, 0.25], [0.2, 0.3]], [[0.4, 0.5], [0.45, 0.55]]],
     "biases": [0.35, 0.6], "shared_bias": True},
    {"sizes": [2, 3, 2], "activation": "tanh", "loss": "cross_entropy",
     "X": [[0.5, -1.0], [1.5, 0.2]], "targets": [0, 1], "seed": 0},  # no neuron form
    {"sizes": [3, 4, 4, 1], "activation": "relu", "loss": "mse", "seed": 3},
    {"sizes": [8, 8, 8]},  # over 64 weights: no neuron form
])
def test_networks(client, spec: dict[str, Any]) -> None:
    body = valid(NetworkResponse, client.post("/api/network", json=spec))
    valid(GraphResponse, client.post("/api/graph", json={"source": body["tensor"]}))
    if body["neuron"] is not None:
        valid(GraphResponse, client.post("/api/graph", json={"source": body["neuron"]}))


# ---------------------------------------------------------------- training


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app served for real: a stream needs a server that writes as it goes."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    assert wait_for(lambda: srv.started, 20)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(20)


def events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    name, data = None, []
    for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and name is not None:
            yield name, strict_json("\n".join(data))
            name, data = None, []


def test_training_as_json_and_its_status(client) -> None:
    assert wait_for(POOL.idle)
    valid(TrainResponse, client.post("/api/train", json=SMALL))
    regression = {"source": "X = [[1, 2]]\nw = [0.5, -0.5]\nf = sum(X @ w) ^ 2",
                  "passes": 20, "init": "program", "lr": 0.01}  # no classifier: nulls
    body = valid(TrainResponse, client.post("/api/train", json=regression))
    assert body["accuracy"] is None and body["boundary"] is None
    valid(TrainStatus, client.get("/api/train/status"))
    # no data set; momentum's state; targets (regression) in the data; the recorder's view
    body = valid(TrainResponse, client.post("/api/train", json={
        **MAZUR_RUN, "passes": 30, "optimizer": {"name": "momentum"}}))
    assert body["data"] is None and body["state"]["w5"]["v"] != 0
    targets = {"source": "W = [[0], [0]]\nb = 0\nloss = mse(X @ W + b, T)", "passes": 10,
               "dataset": {"points": [[0, 1], [1, 0], [1, 1], [2, 1]],
                           "targets": [[1], [2], [3], [4]], "y": "T"}}
    body = valid(TrainResponse, client.post("/api/train", json=targets))
    assert body["data"]["classes"] is None and body["neurons"] is None
    body = valid(TrainResponse, client.post("/api/train", json={**SMALL, "passes": 20}))
    view = valid(TrainView, client.post("/api/train/view", json={
        **SMALL, "params": body["snapshots"][0]["params"], "init": "program"}))
    assert view["boundary"] is not None and view["neurons"] is not None
    valid(TrainView, client.post("/api/train/view", json={**MAZUR_RUN}))


def test_training_as_a_stream_and_a_cancel(server: str) -> None:
    assert wait_for(POOL.idle)
    with httpx.Client(base_url=server, timeout=60) as http:
        with http.stream("POST", "/api/train", json={**SMALL, "passes": 400,
                                                     "progress_every": 100},
                         headers={"accept": "text/event-stream"}) as response:
            received = list(events(response.iter_lines()))
        models = {"start": TrainStart, "progress": TrainProgress, "done": TrainResponse}
        assert [name for name, _ in received] == ["start"] + ["progress"] * 4 + ["done"]
        for name, data in received:
            models[name].model_validate(data)
        with http.stream("POST", "/api/train", json={**SMALL, "passes": 100_000},
                         headers={"accept": "text/event-stream"}) as response:
            stream = events(response.iter_lines())
            name, start = next(stream)
            TrainStart.model_validate(start)
            TrainStatus.model_validate(strict_json(http.get("/api/train/status").text))
            control = f"/api/train/{start['run_id']}/control"
            valid(TrainControlled, http.post(control, json={"paused": True}))
            valid(TrainControlled, http.post(control, json={"pace": 10, "step": 2}))
            valid(TrainCancelled, http.post(f"/api/train/{start['run_id']}/cancel"))
            rest = list(stream)
        assert rest[-1][0] == "done"
        TrainResponse.model_validate(rest[-1][1])
    assert wait_for(POOL.idle)


def test_the_cli_s_training_json(capsys, tmp_path) -> None:
    assert cli(["train", "--json", "--passes", "30"]) == 0
    TrainResponse.model_validate(json.loads(capsys.readouterr().out))
