"""What an answer may contain is bounded, not only what a request may (issue 19).

A 5 KB program inside every request limit once got a 434 MB answer: nineteen
316×316 products, each with its value and gradient, and every backward edge
carrying its upstream gradient, local derivative, product and running sum in
full. Now an answer holds at most `max_response_numbers` numbers, counted from
the shapes before anything is computed; a tensor of the step trace over 64
numbers is a reference to the node holding the same numbers; the JSON is
written a piece at a time; and a client that goes away stops the work.
"""

from __future__ import annotations

import json
import math
import random

import anyio
import numpy as np
import pytest

from app.api.routes import unless_gone
from app.engine.run import Cancel, Cancelled
from app.engine.trace import TRACE_INLINE
from app.examples import EXAMPLES
from app.jsonify import _encode, dumps, encode
from app.limits import DEFAULT_LIMITS
from app.pipeline import Options, graph_response
from tests.helpers import assert_error, run_in_own_loop

A = [round(0.001 * k, 3) for k in range(316)]
HEAD = f"a = {json.dumps(A)}\nW = reshape(a, 316, 1) * reshape(a, 1, 316)\n"
AMPLIFIERS = {
    "eighteen products": HEAD + "A1 = W * W\n" + "".join(f"A{k} = A{k - 1} * W\n"
                                                         for k in range(2, 19)) + "f = sum(A18)",
    "8 matrix products": HEAD + "M1 = W @ W\n" + "".join(f"M{k} = M{k - 1} @ W\n"
                                                        for k in range(2, 9)) + "f = sum(M8)",
    "15 nested sigmoids": "x = reshape(a, 1, -1) * reshape(a, -1, 1)\n" + "f = sum(" + "sigmoid("
                          * 15 + "x" + ")" * 15 + ")",
}


def count_numbers(x) -> int:
    if isinstance(x, dict):
        return sum(count_numbers(v) for v in x.values())
    if isinstance(x, list):
        return sum(count_numbers(v) for v in x)
    return int(isinstance(x, int | float) and not isinstance(x, bool))


@pytest.mark.parametrize("name", AMPLIFIERS)
def test_an_amplifying_program_is_refused_before_any_work(client, name):
    source = AMPLIFIERS[name]
    values = {"a": A} if "a =" not in source else {}
    assert len(source) < 6_000
    response = client.post("/api/graph", json={"source": source, "values": values})
    error = assert_error(response, 400, "too_large")
    assert error["key"] == "answer_too_large"
    assert error["args"]["numbers"] > DEFAULT_LIMITS.max_response_numbers
    assert error["line"] is not None
    assert len(response.content) < 2_000


def test_the_largest_answer_stays_under_its_stated_size(client):
    # Three 316×316 tensors and their gradients: just under a million numbers.
    source = HEAD + "A1 = W * W\nf = sum(A1)"
    response = client.post("/api/graph", json={"source": source})
    assert response.status_code == 200
    body = response.json()
    assert count_numbers(body) <= DEFAULT_LIMITS.max_response_numbers
    # at most ~24 bytes a number (17 digits, sign, exponent, comma): the README's bound
    assert len(response.content) <= 24 * DEFAULT_LIMITS.max_response_numbers


def test_big_tensors_of_the_trace_are_references_to_their_node(client):
    source = "X = reshape(a, 10, 10)\nY = tanh(X) * X\nf = sum(Y * Y)"
    a = [round(math.sin(k), 3) for k in range(100)]
    compact = client.post("/api/graph", json={"source": source, "values": {"a": a}}).json()
    full = client.post("/api/graph", json={"source": source, "values": {"a": a},
                                           "full_trace": True}).json()
    nodes = {n["id"]: n for n in compact["nodes"]}
    pairs = [(s, t) for s, t in zip(compact["steps"], full["steps"], strict=True)
             if s["phase"] == "backward"]
    seen_ref = seen_none = 0
    for short, long in pairs:
        for e_short, e_long in zip(short["edges"], long["edges"], strict=True):
            for field in ("upstream", "local", "product", "sum"):
                got, want = e_short[field], e_long[field]
                if want is None or np.size(want) <= TRACE_INLINE:
                    assert got == want
                    continue
                assert got["shape"] == list(np.shape(want))
                if got["same_as"] is None:
                    seen_none += 1
                    continue
                seen_ref += 1
                ref = nodes[got["same_as"]["node"]][got["same_as"]["field"]]
                np.testing.assert_allclose(ref, want, rtol=1e-12)
    assert seen_ref and seen_none
    assert len(json.dumps(compact)) < len(json.dumps(full)) / 2


def test_a_full_trace_counts_every_number():
    # 60×60 tensors fit when the trace refers to them, not when it writes them out.
    source = "X = reshape(a, 60, 60)\nY = X * X * X * X\nf = sum(Y)"
    values = {"a": [0.5] * 3600}
    graph_response(source, values)
    with pytest.raises(Exception) as err:
        graph_response(source, values, options=Options(full_trace=True),
                       limits=DEFAULT_LIMITS.__class__(max_response_numbers=100_000))
    assert getattr(err.value, "key", None) == "answer_too_large"


def test_every_way_of_writing_gives_the_same_json():
    bodies = [graph_response(e["source"], {}) for e in EXAMPLES]
    rng = random.Random(0)
    for _ in range(200):
        def make(depth: int):
            kind = rng.choice(["num", "str", "list", "dict", "none"] if depth else ["num"])
            if kind == "num":
                return rng.choice([0, -1, 2.5, 1e-300, 123456789012345678])
            if kind == "str":
                return rng.choice(["", "x", "∂f/∂x", "\ud800", '"q"'])
            if kind == "list":
                return [make(depth - 1) for _ in range(rng.randint(0, 4))]
            if kind == "dict":
                return {rng.choice("abc∂"): make(depth - 1) for _ in range(rng.randint(0, 3))}
            return None
        bodies.append({"k": make(4), "nodes": [make(3) for _ in range(3)]})
    bodies.append(graph_response(HEAD + "A1 = W * W\nf = sum(A1)"))  # written by orjson
    for body in bodies:
        assert json.loads(encode(body)) == json.loads(dumps(body))
        assert _encode(body) == dumps(body)  # the pieces, whatever encode chose


def test_work_stops_when_the_client_goes_away():
    cancel = Cancel()
    cancel.set()
    with pytest.raises(Cancelled):
        graph_response("f = " + " + ".join(f"x{k}" for k in range(2_000)),
                       {f"x{k}": k for k in range(2_000)}, cancel=cancel)


def test_a_disconnect_raises_the_cancel_flag_and_frees_the_request():
    """The route's watcher: the client's disconnect message sets the flag the engine reads."""
    class Gone:
        async def receive(self):
            return {"type": "http.disconnect"}

    def work() -> str:
        for _ in range(2_000):  # up to 20 s, unless the flag is raised
            cancel.check()
            anyio.from_thread.run_sync(lambda: None)  # let the watcher run
            import time
            time.sleep(0.01)
        return "finished"

    cancel = Cancel()
    with pytest.raises(Cancelled):
        run_in_own_loop(unless_gone, Gone(), work, cancel)
    assert cancel.is_set


def test_an_abandoned_answer_is_not_cached(client):
    from app.api.cache import KEPT_STATUSES
    assert 499 not in KEPT_STATUSES and all(s < 500 for s in KEPT_STATUSES)


def test_a_large_answer_is_left_to_the_one_thread_for_large_answers(client):
    from app.api.routes import large_answers
    from app.pipeline import LARGE_ANSWER, LargeAnswer
    source = HEAD + "A1 = W * W\nf = sum(A1)"
    with pytest.raises(LargeAnswer):
        graph_response(source, large=False)
    small = graph_response("f = (x + y) * z", {"x": -2, "y": 5, "z": -4}, large=False)
    assert count_numbers(small) < LARGE_ANSWER
    assert client.post("/api/graph", json={"source": source}).status_code == 200
    assert large_answers().total_tokens == 1
