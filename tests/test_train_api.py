"""POST /api/train and friends: JSON, the event stream, cancelling, limits, busy workers.

The JSON answers go through the in-process TestClient. The stream, a client
that goes away and runs side by side need a real server (TestClient buffers a
whole response), so those tests start uvicorn on a free loopback port in a
thread of this process, where they can also look at the worker pool. Nothing
here asserts a time: "shortly" is a bounded wait for a state.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn

from app.main import app
from app.training import datasets
from app.training.example import MAZUR_RUN, SEED_004_PROGRAM, SEED_004_RUN
from app.training.pool import GRACE_SECONDS, POOL
from app.training.trainer import DataSpec, Training, TrainSpec
from tests.helpers import assert_error, strict_json
from tests.slow_programs import deep_classifier

SMALL = {**SEED_004_RUN, "passes": 300}
LONG = {**SEED_004_RUN, "passes": 100_000}  # stopped by the tests long before its end
SSE = {"accept": "text/event-stream"}


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """Parse server-sent events: (name, JSON data)."""
    name, data = None, []
    for line in lines:
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and name is not None:
            yield name, strict_json("\n".join(data))
            name, data = None, []


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    assert wait_for(lambda: srv.started, 20)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(20)


@pytest.fixture(autouse=True)
def idle_pool() -> Iterator[None]:
    """Every test starts and ends with no run going (a leftover would make the next busy)."""
    assert wait_for(POOL.idle)
    yield
    for run in list(POOL.runs.values()):
        run.cancel()
    assert wait_for(POOL.idle)


# ---------------------------------------------------------------- JSON

def test_json_answer(client) -> None:
    response = client.post("/api/train", json=SMALL)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = strict_json(response.text)
    assert set(body) == {"run_id", "history", "loss", "params", "accuracy", "passes_done",
                         "passes", "cancelled", "stopped", "seconds", "data", "boundary",
                         "neurons", "trainable", "optimizer", "state", "snapshots"}
    assert body["passes_done"] == 300 and not body["cancelled"] and body["stopped"] is None
    assert body["history"]["passes"][0] == 0 and body["history"]["passes"][-1] == 300
    assert len(body["data"]["X"]) == 200 and body["data"]["classes"] == 2
    assert len(body["boundary"]["grid"]) == 64
    # the same spec in this process: the same numbers, bit for bit
    local = Training(TrainSpec(SEED_004_PROGRAM, DataSpec("moons", 200, 0.2, 0), lr=0.01,
                               l2=0.01, passes=300)).run()
    assert body["params"]["W1"] == local["params"]["W1"].tolist()
    assert body["history"]["loss"] == local["history"]["loss"]
    assert body["accuracy"] == local["accuracy"]
    assert body["data"]["y"] == local["data"]["y"]


def test_same_request_same_answer(client) -> None:
    a = client.post("/api/train", json={**SMALL, "mode": "mean", "lr": 0.3}).json()
    b = client.post("/api/train", json={**SMALL, "mode": "mean", "lr": 0.3}).json()
    assert a["params"] == b["params"] and a["history"] == b["history"]
    assert a["run_id"] != b["run_id"]


def test_spiral_and_program_init(client) -> None:
    source = SEED_004_PROGRAM.replace("[0, 0], [0, 0], [0, 0]",
                                      "[0.1, 0, -0.1], [0, 0.2, 0], [0.3, 0, 0.1]")
    source = source.replace("b2 = [0, 0]", "b2 = [0, 0, 0]").replace(
        "W1 = [[0, 0, 0], [0, 0, 0]]", "W1 = [[1, -1, 0.5], [0.5, 1, -1]]")
    body = client.post("/api/train", json={
        "source": source, "init": "program", "mode": "mean", "lr": 1.0, "passes": 200,
        "dataset": {"name": "spiral", "n": 150, "noise": 0.2, "seed": 3}}).json()
    assert body["data"]["classes"] == 3 and set(body["data"]["y"]) == {0, 1, 2}
    assert body["history"]["loss"][-1] < body["history"]["loss"][0]
    assert {v for row in body["boundary"]["grid"] for v in row} <= {0, 1, 2}


@pytest.mark.parametrize("change, where", [
    ({"passes": 100_001}, "passes"),
    ({"passes": 0}, "passes"),
    ({"dataset": {"name": "moons", "n": 2_001}}, "dataset.n"),
    ({"dataset": {"name": "moons", "n": 3}}, "dataset.n"),
    ({"dataset": {"name": "moons", "noise": 1.5}}, "dataset.noise"),
    ({"dataset": {"name": "iris"}}, "dataset.name"),
    ({"dataset": {"name": "moons", "seed": 2**32}}, "dataset.seed"),
    ({"lr": 0}, "lr"),
    ({"lr": 11}, "lr"),
    ({"lr": "0.1"}, "lr"),
    ({"l2": -0.1}, "l2"),
    ({"mode": "sum"}, "mode"),
    ({"init": "zeros"}, "init"),
    ({"progress_every": 0}, "progress_every"),
    ({"epochs": 3}, "epochs"),
])
def test_limits_are_422_envelopes(client, change: dict, where: str) -> None:
    error = assert_error(client.post("/api/train", json={**SMALL, **change}), 422, "request")
    assert where in error["message"]


def test_infinite_numbers_are_refused(client) -> None:
    """1e999 is valid JSON for ∞; a learning rate must be finite."""
    body = json.dumps({**SMALL, "lr": 0.5}).replace('"lr": 0.5', '"lr": 1e999')
    response = client.post("/api/train", content=body,
                           headers={"content-type": "application/json"})
    error = assert_error(response, 422, "request")
    assert "lr" in error["message"]


@pytest.mark.parametrize("change, type_, key", [
    ({"source": "w = 1\nloss = w ^ 2"}, "value", "train_no_x"),
    ({"source": "W = [[1], [2]]\nout = X @ W"}, "shape", "train_output_shape"),
    ({"source": "W = [[1, 2, 3]]\nloss = mean(X @ W)"}, "shape", "shape"),
    ({"source": "loss = mean(X @ "}, "syntax", None),
    ({"params": {"V": [1, 2]}}, "value", "train_unknown_param"),
    ({"params": {"W1": "big"}}, "value", "value_string"),
    ({"dataset": {"name": "spiral", "n": 90}}, "value", "label_range"),
])
def test_program_mistakes_are_400_envelopes(client, change: dict, type_: str, key) -> None:
    error = assert_error(client.post("/api/train", json={**SMALL, **change}), 400, type_)
    if key:
        assert error["key"] == key


def test_status_cancel_unknown_and_datasets(client) -> None:
    status = client.get("/api/train/status").json()
    assert status["slots"] == 2 and status["running"] == 0 and status["processes"] == 1
    assert status["limits"]["passes"] == 100_000 and status["limits"]["points"] == 2_000
    assert_error(client.post("/api/train/nope/cancel"), 404, "not_found")
    body = client.get("/api/datasets/moons", params={"n": 10, "seed": 3}).json()
    X, y = datasets.make("moons", 10, None, 3)
    assert body["X"] == X.tolist() and body["y"] == y.tolist() and body["noise"] == 0.2
    spiral = client.get("/api/datasets/spiral?n=30&noise=0").json()
    assert spiral["classes"] == 3 and len(spiral["X"]) == 30
    assert_error(client.get("/api/datasets/moons?n=5000"), 422, "request")
    assert_error(client.get("/api/datasets/moons?noise=2"), 422, "request")
    assert_error(client.get("/api/datasets/iris"), 422, "request")


def test_the_schema_describes_training(client) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/train", "/api/train/{run_id}/cancel", "/api/datasets/{name}"} <= set(paths)
    ok = paths["/api/train"]["post"]["responses"]["200"]["content"]
    assert {"application/json", "text/event-stream"} <= set(ok)
    assert "429" in paths["/api/train"]["post"]["responses"]


# ---------------------------------------------------------------- the stream

def test_stream_events_in_order(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as http, http.stream(
            "POST", "/api/train", json={**SMALL, "passes": 1_000, "progress_every": 250},
            headers=SSE) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        received = list(events(response.iter_lines()))
    names = [name for name, _ in received]
    assert names == ["start"] + ["progress"] * 4 + ["done"]
    start, done = received[0][1], received[-1][1]
    assert start["run_id"] == done["run_id"] and len(start["data"]["X"]) == 200
    progress = [data for name, data in received if name == "progress"]
    assert [p["pass"] for p in progress] == [250, 500, 750, 1_000]
    assert set(progress[0]) >= {"run_id", "pass", "loss", "accuracy", "params", "boundary",
                                "history"}
    tails = [p for e in progress for p in e["history"]["passes"]]
    assert tails == done["history"]["passes"]
    assert done["passes_done"] == 1_000 and progress[-1]["params"] == done["params"]


def test_cancel_endpoint_stops_the_stream(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as http:
        with http.stream("POST", "/api/train", json=LONG, headers=SSE) as response:
            stream = events(response.iter_lines())
            name, start = next(stream)
            assert name == "start"
            assert http.get("/api/train/status").json()["running"] == 1
            cancelled = http.post(f"/api/train/{start['run_id']}/cancel")
            assert cancelled.json() == {"run_id": start["run_id"], "cancelled": True}
            rest = list(stream)
        assert rest[-1][0] == "done"
        done = rest[-1][1]
        assert done["cancelled"] and done["stopped"] == "cancelled"
        assert 0 <= done["passes_done"] < 100_000
        assert done["history"]["passes"][-1] == done["passes_done"]
        assert wait_for(POOL.idle)
        assert_error(http.post(f"/api/train/{start['run_id']}/cancel"), 404, "not_found")


def test_a_client_that_leaves_frees_its_run(server: str) -> None:
    """Close the stream mid-run (the page closed): the worker is idle again shortly."""
    with httpx.Client(base_url=server, timeout=60) as http:
        with http.stream("POST", "/api/train", json=LONG, headers=SSE) as response:
            stream = events(response.iter_lines())
            assert next(stream)[0] == "start"
            assert next(stream)[0] == "progress"
            assert not POOL.idle()
        # leaving the block closed the connection
        assert wait_for(POOL.idle, 5.0)
        assert http.get("/api/train/status").json()["running"] == 0


def test_a_json_client_that_leaves_frees_its_run(server: str) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server}/api/train", json=LONG, timeout=httpx.Timeout(60, read=1.0))
    assert wait_for(POOL.idle, 5.0)


def test_a_third_run_is_refused_and_graph_still_answers(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as http:
        with http.stream("POST", "/api/train", json=LONG, headers=SSE) as one, \
                http.stream("POST", "/api/train", json=LONG, headers=SSE) as two:
            first = [next(events(r.iter_lines())) for r in (one, two)]
            assert [name for name, _ in first] == ["start", "start"]
            error = assert_error(http.post("/api/train", json=SMALL), 429, "busy")
            assert "2 networks are training" in error["message"]
            assert http.get("/api/train/status").json()["running"] == 2
            graph = http.post("/api/graph", json={"source": "f = (x + y) * z",
                                                  "values": {"x": -2, "y": 5, "z": -4}})
            assert graph.status_code == 200 and graph.json()["nodes"][-1]["value"] == -12
            for _, start in first:
                http.post(f"/api/train/{start['run_id']}/cancel")
        assert wait_for(POOL.idle)
        again = http.post("/api/train", json={**SMALL, "passes": 10})
        assert again.status_code == 200


def test_the_time_limit_stops_a_run(server: str, monkeypatch) -> None:
    monkeypatch.setattr(POOL, "time_limit", 0.5)
    with httpx.Client(base_url=server, timeout=60) as http:
        body = http.post("/api/train", json=LONG).json()
    assert body["stopped"] == "time_limit" and not body["cancelled"]
    assert 0 < body["passes_done"] < 100_000


@pytest.mark.parametrize("text, seconds", [(None, 60.0), ("", 60.0), ("2", 2.0),
                                           (" 0.5 ", 0.5), ("60", 60.0)])
def test_a_server_may_lower_the_time_limit(monkeypatch, text, seconds: float) -> None:
    """BACKPROP_LAB_TIME_LIMIT: the cap of each run, for the in-process pool and for each API
    process of the job queue (which hands it to the worker with the run)."""
    from app.training.limits import TIME_LIMIT_ENV, time_limit
    from app.training.pool import TrainingPool
    from app.training.queue import QueuePool

    if text is None:
        monkeypatch.delenv(TIME_LIMIT_ENV, raising=False)
    else:
        monkeypatch.setenv(TIME_LIMIT_ENV, text)
    assert time_limit() == seconds
    assert TrainingPool().time_limit == seconds  # (no worker starts before a run)
    assert QueuePool("redis://127.0.0.1:9/0").time_limit == seconds  # (nor a connection)


@pytest.mark.parametrize("text", ["0", "-1", "61", "120", "nan", "inf", "soon"])
def test_serve_refuses_a_time_limit_it_would_not_keep(monkeypatch, capsys, text: str) -> None:
    """The variable lowers the cap, never raises it (the watchdogs and the queue's job
    timeout are sized for 60 s): `serve` will not start with anything else, and a server
    started another way keeps 60 s."""
    from app.cli.main import main
    from app.training.limits import TIME_LIMIT_ENV, time_limit

    monkeypatch.setenv(TIME_LIMIT_ENV, text)
    assert main(["serve", "--port", "0"]) == 2
    assert TIME_LIMIT_ENV in capsys.readouterr().err
    assert time_limit() == 60.0


def test_mistakes_before_the_stream_are_json(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as http:
        response = http.post("/api/train", json={**SMALL, "source": "loss = mean(X)"},
                             headers=SSE)
    assert_error(response, 400, "value")


def test_non_finite_losses_are_strings(client) -> None:
    body = client.post("/api/train", json={
        "source": "w = 1\nloss = mean(X * 0) + w ^ 2", "init": "program", "mode": "mean",
        "lr": 10, "passes": 5_000}).json()
    assert body["stopped"] == "diverged"
    assert body["loss"] in ("Infinity", "NaN")
    assert body["history"]["loss"][-1] == body["loss"]
    assert body["accuracy"] is None and body["boundary"] is None
    assert np.isfinite(body["history"]["loss"][0])


# ---------------------------------------------------------------- every phase stops (issue 19)
# A classifier of ~19,000 nodes on 4 points: its decision boundary alone is 1,024 forward
# passes of the network, ~20 s. Each wait below is a hang guard far under that.

def test_a_deep_classifier_answers_its_time_limit(server: str, monkeypatch) -> None:
    """The run answers time_limit with its results, not a 503 from the watchdog (which
    kills a worker GRACE_SECONDS past the limit)."""
    monkeypatch.setattr(POOL, "time_limit", 4.0)
    began = time.monotonic()
    response = httpx.post(f"{server}/api/train", json=deep_classifier(), timeout=120)
    took = time.monotonic() - began
    assert response.status_code == 200, response.text
    body = strict_json(response.text)
    assert body["stopped"] == "time_limit" and not body["cancelled"]
    assert 0 < body["passes_done"] < 100_000
    assert body["history"]["passes"][-1] == body["passes_done"]
    assert set(body["params"]) == {"A", "W", "V"} and body["accuracy"] is not None
    assert took < POOL.time_limit + GRACE_SECONDS  # hang guard: before any watchdog


def test_cancel_stops_a_deep_classifier_at_once(server: str) -> None:
    """No event for 10 s would be a read timeout: the done event comes first."""
    with httpx.Client(base_url=server, timeout=httpx.Timeout(120, read=10.0)) as http:
        with http.stream("POST", "/api/train", json=deep_classifier(),
                         headers=SSE) as response:
            stream = events(response.iter_lines())
            name, start = next(stream)
            assert name == "start"
            cancelled = http.post(f"/api/train/{start['run_id']}/cancel")
            assert cancelled.status_code == 200
            rest = list(stream)
    assert rest[-1][0] == "done"
    assert rest[-1][1]["stopped"] == "cancelled" and rest[-1][1]["cancelled"]
    assert wait_for(POOL.idle, 5.0)


def test_a_closed_stream_frees_a_deep_classifiers_worker(server: str) -> None:
    with httpx.Client(base_url=server, timeout=120) as http:
        with http.stream("POST", "/api/train", json=deep_classifier(),
                         headers=SSE) as response:
            assert next(events(response.iter_lines()))[0] == "start"
            assert not POOL.idle()
        assert wait_for(POOL.idle, 10.0)
        assert http.get("/api/train/status").json()["running"] == 0


def test_closing_ends_open_streams_with_their_results(server: str) -> None:
    """What SIGTERM does first (app/training/lifecycle.py): every run stops with
    "shutdown", its stream ends with done, and new runs are refused with a 503."""
    with httpx.Client(base_url=server, timeout=httpx.Timeout(60, read=10.0)) as http:
        with http.stream("POST", "/api/train", json=LONG, headers=SSE) as response:
            stream = events(response.iter_lines())
            assert next(stream)[0] == "start"
            try:
                POOL.close()
                refused = http.post("/api/train", json=SMALL)
                rest = list(stream)
            finally:
                POOL.closing = False
    error = assert_error(refused, 503, "busy")
    assert error["key"] == "train_shutdown"
    done = rest[-1]
    assert done[0] == "done" and done[1]["stopped"] == "shutdown" and not done[1]["cancelled"]
    assert done[1]["history"]["passes"][-1] == done[1]["passes_done"]
    assert wait_for(POOL.idle)


# ---------------------------------------------------------------- the pace (issue 16)

def test_a_paused_run_goes_one_pass_per_step(server: str) -> None:
    """Mazur's network started paused: pass 0 is shown, each step is one pass (w5 =
    0.35891648 after the first), a resume runs it to the end, E = 3.5102e-05."""
    with httpx.Client(base_url=server, timeout=60) as http:
        with http.stream("POST", "/api/train", json={**MAZUR_RUN, "paused": True},
                         headers=SSE) as response:
            stream = events(response.iter_lines())
            name, start = next(stream)
            assert name == "start" and start["trainable"] == MAZUR_RUN["trainable"]
            assert next(stream)[1]["pass"] == 0
            control = f"/api/train/{start['run_id']}/control"
            answer = http.post(control, json={"step": 1})
            assert answer.json() == {"run_id": start["run_id"], "pace": None, "paused": True}
            first = next(stream)[1]
            assert first["pass"] == 1
            assert math.isclose(first["params"]["w5"], 0.35891648, abs_tol=5e-9)
            assert math.isclose(first["loss"], 0.291027774, abs_tol=5e-10)
            assert [s["pass"] for s in first["snapshots"]] == [1]
            http.post(control, json={"step": 2})
            assert [next(stream)[1]["pass"] for _ in range(2)] == [2, 3]
            assert POOL.busy == 1  # waiting holds its worker
            resumed = http.post(control, json={"paused": False, "pace": None}).json()
            assert resumed["paused"] is False and resumed["pace"] is None
            rest = list(stream)
    done = rest[-1][1]
    assert rest[-1][0] == "done" and done["passes_done"] == 10_000
    assert f"{done['loss']:.4e}" == "3.5102e-05"
    assert done["seconds"] < 60  # waiting for steps is not training time


def test_a_paced_run_sends_every_pass(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as http, http.stream(
            "POST", "/api/train", json={**MAZUR_RUN, "passes": 8, "pace": 40},
            headers=SSE) as response:
        received = list(events(response.iter_lines()))
    assert [d["pass"] for n, d in received if n == "progress"] == list(range(9))
    done = received[-1][1]
    assert [s["pass"] for s in done["snapshots"]] == list(range(9))


def test_a_watched_run_sends_what_each_neuron_learned_as_it_goes(server: str) -> None:
    """The neuron maps (and the boundary) come with the progress events, not only with the
    answer: a run at 10 passes a second leaves time to draw them for every pass, and from
    pass to pass they change with the parameters. The last is the answer's."""
    with httpx.Client(base_url=server, timeout=60) as http, http.stream(
            "POST", "/api/train", json={**SMALL, "passes": 6, "pace": 10},
            headers=SSE) as response:
        received = list(events(response.iter_lines()))
    progress = [data for name, data in received if name == "progress"]
    assert [p["pass"] for p in progress] == list(range(7))
    drawn = [p for p in progress if p["neurons"] is not None]
    # a progress event draws only if drawing costs at most a quarter of the time since the
    # last: on a busy machine one may go without, never most of them
    assert len(drawn) >= 4, [p["pass"] for p in drawn]
    for p in drawn:
        [layer] = p["neurons"]["layers"]
        assert layer["name"] == "h" and layer["units"] == 3
        assert np.shape(layer["maps"]) == (3, 32, 32)
        assert p["boundary"] is not None
    maps = [p["neurons"]["layers"][0]["maps"] for p in drawn]
    assert all(a != b for a, b in zip(maps, maps[1:], strict=False)), "the maps stood still"
    confidence = [p["boundary"]["confidence"] for p in drawn]
    assert all(a != b for a, b in zip(confidence, confidence[1:], strict=False))
    done = received[-1][1]
    assert received[-1][0] == "done" and done["passes_done"] == 6
    if drawn[-1]["pass"] == 6:
        assert done["neurons"] == drawn[-1]["neurons"]


def test_a_waiting_run_is_not_taken_for_a_stuck_one(server: str, monkeypatch) -> None:
    """The watchdog kills a worker silent for its time limit plus GRACE_SECONDS; a paused
    run says it is alive every second, and waiting does not use up its time limit."""
    monkeypatch.setattr(POOL, "time_limit", 1.0)
    with httpx.Client(base_url=server, timeout=60) as http, http.stream(
            "POST", "/api/train", json={**MAZUR_RUN, "paused": True}, headers=SSE) as response:
        stream = events(response.iter_lines())
        name, start = next(stream)
        assert next(stream)[1]["pass"] == 0
        time.sleep(1.0 + GRACE_SECONDS + 1.0)
        http.post(f"/api/train/{start['run_id']}/control", json={"step": 1})
        name, data = next(stream)
        assert (name, data["pass"]) == ("progress", 1)
        http.post(f"/api/train/{start['run_id']}/cancel")
        assert list(stream)[-1][1]["stopped"] == "cancelled"


def test_control_mistakes(server: str) -> None:
    with httpx.Client(base_url=server, timeout=60) as http:
        assert_error(http.post("/api/train/0123456789abcdef/control", json={"step": 1}),
                     404, "not_found")
        for bad in ({"pace": 0}, {"pace": "fast"}, {"step": -1}, {"step": 1_001},
                    {"faster": True}):
            assert_error(http.post("/api/train/0123456789abcdef/control", json=bad), 422,
                         "request")


def test_a_control_reaches_a_run_of_another_process(tmp_path) -> None:
    """`serve --workers N`: a control landing on another server process is a file the
    owner's reader applies, in the order asked."""
    from app.training.registry import Registry

    owner, other = Registry(tmp_path), Registry(tmp_path)
    run_id = "0123456789abcdef"
    owner.started(run_id)
    assert other.request_control(run_id, {"paused": True})
    assert other.request_control(run_id, {"step": 2})
    assert owner.controls_requested(run_id) == [{"paused": True}, {"step": 2}]
    assert owner.controls_requested(run_id) == []  # each handed out once
    assert not other.request_control("fedcba9876543210", {"step": 1})  # no such run
    other.request_control(run_id, {"step": 1})
    owner.finished(run_id)
    assert not list(tmp_path.glob("control-*"))
