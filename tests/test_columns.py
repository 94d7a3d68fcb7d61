"""Any size (issue 15): the compact answer, gzip, the raised limits, micrograd's demo network.

The columns form (`"format": "columns"`, app/columns.py) must hold exactly the default
body's content: decoded, it equals the default answer on every preset, with the teaching
tools, and on random programs of the differential oracle. It must be compact (a few
hundred bytes a gate at most, far less gzipped), and gzip must leave the training stream
alone. The raised limits must take a 100,000-gate program's request, the 5,000-gate
random circuit of bench/layout.py and micrograd's demo network.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn

from app.api.schemas import (
    Example,
    ExamplesResponse,
    GraphAnswer,
    GraphColumnsResponse,
    GraphResponse,
)
from app.columns import from_columns, to_columns
from app.engine.bind import bind
from app.engine.shapes import infer_shapes
from app.engine.trace import answer_numbers
from app.examples import EXAMPLES
from app.limits import DEFAULT_LIMITS
from app.main import GZIP_MIN_BYTES, app
from app.micrograd_demo import ALPHA, demo_program, parameters, points
from app.pipeline import Options, circuit, graph_response
from app.training.example import SEED_004_RUN
from app.training.pool import POOL
from bench.layout import random_dag
from bench.programs import chain, from_description, neuron_network
from tests import oracle
from tests.helpers import strict_json


def json_of(body: Any) -> Any:
    """What a client reads: the body through JSON."""
    return orjson.loads(orjson.dumps(body))


def assert_same(columns: dict[str, Any], default: dict[str, Any]) -> None:
    GraphColumnsResponse.model_validate(columns)
    assert from_columns(columns) == default


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_columns_decode_to_the_default_answer_on_every_preset(client, example) -> None:
    base = {"source": example["source"], "expand": example.get("expand", False)}
    for extra in ({}, {"check": True, "code": True, "lr": 0.1}, {"expand": True},
                  {"full_trace": True}):
        default = client.post("/api/graph", json={**base, **extra})
        columns = client.post("/api/graph", json={**base, **extra, "format": "columns"})
        assert default.status_code == columns.status_code == 200
        assert_same(strict_json(columns.text), strict_json(default.text))
        GraphAnswer.model_validate(strict_json(columns.text))
        GraphAnswer.model_validate(strict_json(default.text))


def test_asking_for_objects_is_the_default_body(client) -> None:
    body = {"source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4}}
    plain = client.post("/api/graph", json=body)
    objects = client.post("/api/graph", json={**body, "format": "objects"})
    assert plain.content == objects.content
    GraphResponse.model_validate(plain.json())
    bad = client.post("/api/graph", json={**body, "format": "rows"})
    assert bad.status_code == 422 and bad.json()["error"]["type"] == "request"


@pytest.mark.parametrize("seed", range(40))
def test_columns_decode_to_the_default_answer_on_random_programs(seed: int) -> None:
    program = oracle.generate(seed)
    up = None if program.seed is None else program.seed.tolist()
    default = json_of(graph_response(program.source, program.values, up))
    columns = json_of(graph_response(program.source, program.values, up,
                                     options=Options(columns=True)))
    assert_same(columns, default)
    if seed % 4 == 0:  # the teaching tools add fields the columns carry as they are
        options = Options(expand=True, check=True, columns=True)
        default = json_of(graph_response(program.source, program.values, up,
                                         options=Options(expand=True, check=True)))
        columns = json_of(graph_response(program.source, program.values, up,
                                         options=options))
        assert_same(columns, default)


def test_a_field_the_columns_do_not_know_is_kept() -> None:
    """A field added to the default answer later (a step's explanation) survives."""
    body = json_of(graph_response("q = x + y\nf = q * z", {"x": 1, "y": 2, "z": 3}))
    body["steps"][0]["note"] = "first"
    body["steps"][-1]["edges"][0]["why"] = "because"
    body["nodes"][1]["hint"] = "y"
    body["layout"]["edges"][0]["style"] = "dashed"
    assert from_columns(json_of(to_columns(body))) == body


@pytest.mark.parametrize("source", [chain(3_000), neuron_network(3_000)],
                         ids=["chain", "neurons"])
def test_columns_are_compact(source: str) -> None:
    gates = sum(op not in ("input", "const") for op in circuit(source).ops)
    default = orjson.dumps(graph_response(source))
    columns = orjson.dumps(graph_response(source, options=Options(columns=True)))
    assert len(columns) / gates <= 300  # ~250 bytes a gate, against ~1 KB
    assert len(columns) <= len(default) / 3
    assert len(gzip.compress(columns, 5)) / gates <= 100  # ~50 bytes a gate


def test_gzip_only_when_asked_and_only_past_its_minimum(client) -> None:
    big = {"source": neuron_network(1_000), "format": "columns"}
    plain = client.post("/api/graph", json=big, headers={"accept-encoding": "identity"})
    assert plain.headers.get("content-encoding") is None
    assert len(plain.content) > GZIP_MIN_BYTES
    zipped = client.post("/api/graph", json=big, headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.content == plain.content  # decoded by the client
    small = client.post("/api/graph", json={"source": "f = x * 2", "values": {"x": 1}},
                        headers={"accept-encoding": "gzip"})
    assert small.headers.get("content-encoding") is None


def wait_for(predicate: Any, timeout: float = 20.0) -> bool:
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
    assert wait_for(lambda: srv.started)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(20)


def test_the_training_stream_is_neither_compressed_nor_held_back(server: str) -> None:
    assert wait_for(POOL.idle)
    with httpx.Client(base_url=server, timeout=60) as http:
        with http.stream("POST", "/api/train", json={**SEED_004_RUN, "passes": 100_000},
                         headers={"accept": "text/event-stream",
                                  "accept-encoding": "gzip"}) as response:
            assert response.status_code == 200
            assert response.headers.get("content-encoding") is None
            lines = response.iter_lines()
            assert next(lines).startswith("event: start")  # while the run goes on
            data = next(lines)
            run_id = json.loads(data.removeprefix("data:"))["run_id"]
            assert http.post(f"/api/train/{run_id}/cancel").status_code == 200
            assert any(line.startswith("event: done") for line in lines)
    assert wait_for(POOL.idle)


# ---------------------------------------------------------------- the raised limits


def test_a_100000_gate_chain_fits_the_limits() -> None:
    source = chain(100_000)
    assert len(source) <= DEFAULT_LIMITS.max_source_chars
    assert len(json.dumps({"source": source})) <= DEFAULT_LIMITS.max_body_bytes
    graph = circuit(source)
    assert sum(op not in ("input", "const") for op in graph.ops) == 100_000
    count, over = answer_numbers(graph, [()] * len(graph), False,
                                 DEFAULT_LIMITS.max_response_numbers)
    assert over is None and count > 1_000_000


def test_the_random_circuit_of_the_layout_benchmark_is_accepted(client) -> None:
    source = from_description(random_dag())
    response = client.post("/api/graph", json={"source": source, "format": "columns"})
    assert response.status_code == 200, response.text[:300]
    body = GraphColumnsResponse.model_validate(response.json())
    assert body.nodes.count == 5_050


# ---------------------------------------------------------------- micrograd's demo network


def test_the_demo_network_is_a_large_preset(client) -> None:
    listed = ExamplesResponse.model_validate(client.get("/api/examples").json())
    assert [e.id for e in listed.large or []] == ["micrograd-demo"]
    assert "micrograd-demo" not in [e.id for e in listed.examples]
    response = client.get("/api/examples/micrograd-demo")
    preset = Example.model_validate(response.json())
    assert preset.source == demo_program() and preset.large
    assert client.get("/api/examples/cs231n-add-mul").json()["id"] == "cs231n-add-mul"
    missing = client.get("/api/examples/nothing")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"


def test_the_demo_network_is_within_the_limits_and_is_micrograd_s() -> None:
    source = demo_program()
    assert len(json.dumps({"source": source})) <= DEFAULT_LIMITS.max_body_bytes
    graph = circuit(source)  # parsed and built under the default limits
    gates = sum(op not in ("input", "const") for op in graph.ops)
    assert 64_000 <= gates <= 66_000
    bound, _ = bind(graph, {}, DEFAULT_LIMITS)
    shapes = infer_shapes(graph, bound, DEFAULT_LIMITS)
    assert answer_numbers(graph, shapes, False, DEFAULT_LIMITS.max_response_numbers)[1] is None
    # the same loss as micrograd's own loop over its own classes
    from micrograd import engine
    layers = [([[engine.Value(w) for w in row] for row in W], [engine.Value(b) for b in B])
              for W, B in parameters()]
    X, y = points()
    scores = []
    for row in X:
        acts = [engine.Value(v) for v in row]
        for k, (W, B) in enumerate(layers):
            acts = [sum((w * a for w, a in zip(ws, acts, strict=True)), b)
                    for ws, b in zip(W, B, strict=True)]
            if k < len(layers) - 1:
                acts = [a.relu() for a in acts]
        scores.append(acts[0])
    data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)) * 0.01
    params = [p for W, B in layers for ws, b in zip(W, B, strict=True) for p in [*ws, b]]
    total = data_loss + ALPHA * sum(p * p for p in params)
    total.backward()
    body = graph_response(source, options=Options(columns=True))
    names = body["nodes"]["name"]
    loss = names.index("loss")
    assert body["nodes"]["value"][loss] == pytest.approx(total.data, rel=1e-12)
    w = names.index("w2_3_4")  # layer 2, neuron 3, input 4
    assert body["nodes"]["grad"][w] == pytest.approx(layers[1][0][2][3].grad, rel=1e-9)
