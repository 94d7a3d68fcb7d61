"""A small program is answered on the event loop, without the hop to a worker thread
(issue 15, "a small program cheap"); anything bigger, or a teaching tool, still goes to a
thread, and the answer is the same either way."""

from __future__ import annotations

import gc

import pytest
from fastapi.testclient import TestClient

from app.api import routes
from app.api.serving import Serving
from app.examples import EXAMPLES
from app.main import create_app
from app.pipeline import SMALL_NODES, NotSmall, Options, graph_response

BIG = "f = " + " + ".join(f"x{k} * w{k}" for k in range(SMALL_NODES))  # 3×64 nodes and more
BIG_VALUES = {**{f"x{k}": k for k in range(SMALL_NODES)},
              **{f"w{k}": 1 for k in range(SMALL_NODES)}}


@pytest.fixture
def threads(monkeypatch):
    """The requests the route handed to a worker thread."""
    handed: list[object] = []
    real = routes.unless_gone

    async def counting(request, work, cancel, limiter=None):
        handed.append(work)
        return await real(request, work, cancel, limiter)
    monkeypatch.setattr(routes, "unless_gone", counting)
    return handed


def test_a_small_program_is_answered_without_a_thread(client, threads):
    answer = client.post("/api/graph", json={"source": "f = (x + y) * z",
                                             "values": {"x": -2, "y": 5, "z": -4}})
    assert answer.status_code == 200 and answer.json()["nodes"][-1]["value"] == -12
    assert threads == []


def test_a_mistake_in_a_small_program_is_the_same_400(client, threads):
    answer = client.post("/api/graph", json={"source": "f = foo(x)", "values": {"x": 1}})
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "unknown_function"
    assert threads == []


@pytest.mark.parametrize("body", [
    {"source": BIG, "values": BIG_VALUES},  # over SMALL_NODES nodes
    {"source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4}, "check": True},
    {"source": "f = sum(W * W)", "values": {"W": [[0.5] * 60] * 60}},  # a long body
])
def test_a_bigger_request_goes_to_a_thread(client, threads, body):
    answer = client.post("/api/graph", json=body)
    assert answer.status_code == 200 and answer.json()["nodes"]
    assert len(threads) == 1


def test_a_big_circuit_is_refused_as_small_before_any_work():
    with pytest.raises(NotSmall):
        graph_response(BIG, BIG_VALUES, small=True)
    graph_response(BIG, BIG_VALUES)  # and answered otherwise


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_the_answer_is_the_same_on_the_loop_and_in_a_thread(example):
    options = Options(expand=bool(example.get("expand")))
    assert (graph_response(example["source"], options=options, small=True)
            == graph_response(example["source"], options=options))


def test_a_served_app_keeps_what_lives_from_its_start_out_of_the_collector():
    """A full collection walks only what requests made, not the app's own tens of
    thousands of objects: it stopped the event loop for up to 200 ms under load."""
    with TestClient(create_app(Serving(rate_limit=None))):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
