"""A small program's server CPU, piece by piece (issue 15: "a small program cheap").

The staged cs231n program (the `staged-backprop` preset) with new numbers every time, so
no answer cache has seen it: the time of each step of the pipeline — tokenize, parse,
build, the graph of a number edit (app/graph/renumber.py), evaluate, warnings, nodes,
trace, layout, JSON — and of the whole `graph_response` + `encode`, best of many, and the
same request through the ASGI app in process (routing, middleware, validation), without a
socket, in one event loop as the server has it. With `--mix`, bench/load.py's
`--edits-only` mix (every preset, new values or one new number of the program every
request) through the ASGI app: the server CPU of a request but for the HTTP/1.1 parsing
and the socket. Goal: under 1 ms of server CPU uncached.

  python -m bench.small [--repeats 2000] [--mix]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from typing import Any

import anyio
import orjson

from app.engine import evaluate
from app.engine.diagnose import node_warnings
from app.examples import example
from app.graph import build
from app.jsonify import encode
from app.lang import parse
from app.lang.tokens import tokenize
from app.layout import _layout
from app.pipeline import _node_json, _steps_json, circuit, graph_json, graph_response

SOURCE = example("staged-backprop")["source"]
_numbers = itertools.count(1)


def fresh() -> str:
    """The program with a new value of x: never seen before."""
    return SOURCE.replace("x = 3\n", f"x = {3 + next(_numbers) * 1e-9!r}\n", 1)


def best(fn: Callable[[], Any], repeats: int) -> float:
    """The fastest of `repeats` calls (each with fresh input), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[0] if len(times) < 10 else times[len(times) // 10]  # the 10th percentile


def asgi_request(app: Any, body: bytes) -> bytes:
    """One POST /api/graph through the app's whole middleware stack, in this thread."""
    return anyio.run(asgi_post, app, body)


async def asgi_post(app: Any, body: bytes) -> bytes:
    """One POST /api/graph through the app's whole middleware stack, in the running loop."""
    sent: list[bytes] = []
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given:  # the client stays: a disconnect never comes
            await anyio.sleep_forever()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"status {message['status']}")
        if message["type"] == "http.response.body":
            sent.append(message.get("body", b""))

    scope = {"type": "http", "method": "POST", "path": "/api/graph", "raw_path": b"/api/graph",
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}
    await app(scope, receive, send)
    return b"".join(sent)


def through_app(app: Any, bodies: Callable[[], bytes], n: int) -> float:
    """The fastest tenth of n requests through the app, in one event loop (seconds)."""
    async def go() -> float:
        times = []
        for _ in range(n):
            body = bodies()
            start = time.perf_counter()
            await asgi_post(app, body)
            times.append(time.perf_counter() - start)
        times.sort()
        return times[len(times) // 10]
    return anyio.run(go)


def mix_cpu(app: Any, n: int) -> tuple[float, int]:
    """CPU seconds per request of bench/load.py's --edits-only mix through the app."""
    import random

    from fastapi.testclient import TestClient

    from bench.load import build_mix

    with TestClient(app, base_url="http://127.0.0.1") as client:
        edits = build_mix(client, random.Random(0), edits_only=True)[0][1]
    rng = random.Random(1)

    async def go() -> float:
        for _ in range(min(n, 200)):  # warm: every preset's graph, layout and template
            await asgi_post(app, edits[rng.randrange(len(edits))].payload(rng))
        bodies = [edits[rng.randrange(len(edits))].payload(rng) for _ in range(n)]
        start = time.process_time()
        for body in bodies:
            await asgi_post(app, body)
        return (time.process_time() - start) / n
    return anyio.run(go), len(edits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--mix", action="store_true",
                        help="also bench/load.py's --edits-only mix through the ASGI app")
    args = parser.parse_args()
    n = args.repeats

    def graph_of() -> Any:
        return build(parse(fresh()))

    def evaluated() -> Any:
        return evaluate(graph_of())

    ev = evaluated()
    circuit(SOURCE)
    pieces = {
        "tokenize": lambda: tokenize(fresh()),
        "tokenize+parse": lambda: parse(fresh()),
        "+build": graph_of,
        "+evaluate": evaluated,
        "graph of a number edit (renumbered)": lambda: circuit(fresh()),
    }
    results = {name: best(fn, n) for name, fn in pieces.items()}
    warnings = node_warnings(ev)
    results["warnings (node_warnings)"] = best(lambda: node_warnings(ev), n)
    results["nodes JSON"] = best(lambda: [_node_json(ev, k.id, warnings.get(k.id, []))
                                          for k in ev.graph.nodes], n)
    results["trace JSON"] = best(lambda: _steps_json(ev), n)
    results["layout (uncached)"] = best(lambda: _layout(ev.graph, ev.shapes), n)
    body = graph_json(ev)
    results["encode"] = best(lambda: encode(body), n)
    values = itertools.count(1)
    results["whole, new values: graph_response + encode"] = best(
        lambda: encode(graph_response(SOURCE, {"x": 3 + next(values) * 1e-9})), n)
    results["whole, a new number: graph_response + encode"] = best(
        lambda: encode(graph_response(fresh())), n)

    from app.api.serving import Serving
    from app.main import create_app

    app = create_app(Serving(rate_limit=(1e6, 1e6)))
    results["through the ASGI app (middleware, routing)"] = through_app(
        app, lambda: orjson.dumps({"source": fresh()}), max(50, n // 10))
    print(f"staged cs231n program, {len(ev.graph)} nodes, uncached; 10th-percentile of "
          f"{n} runs (ms):")
    for name, seconds in results.items():
        print(f"  {name:45} {seconds * 1e3:7.3f}")
    if args.mix:
        cpu, kinds = mix_cpu(app, max(200, n // 2))
        print(f"bench/load.py's --edits-only mix ({kinds} kinds of edit) through the ASGI app: "
              f"{cpu * 1e3:.3f} ms of CPU per request")


if __name__ == "__main__":
    main()
