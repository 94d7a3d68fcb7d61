"""A small program's server CPU, piece by piece (issue 15: "a small program cheap").

The staged cs231n program (the `staged-backprop` preset) with new numbers every time, so
no cache (graph, layout, answer) has seen it: the time of each step of the pipeline —
tokenize, parse, build, evaluate, warnings, nodes, trace, layout, JSON — and of the whole
`graph_response` + `encode`, best of many, and the same request through the ASGI app in
process (routing, middleware, validation), without a socket. Goal: under 1 ms of server
CPU uncached.

  python -m bench.small [--repeats 2000]
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
from app.pipeline import _node_json, _steps_json, graph_json, graph_response

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
    sent: list[bytes] = []
    given = False

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given:  # the client stays: a disconnect never comes
            await anyio.sleep_forever()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent.append(message.get("body", b""))

    scope = {"type": "http", "method": "POST", "path": "/api/graph", "raw_path": b"/api/graph",
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    anyio.run(app, scope, receive, send)
    return b"".join(sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    n = args.repeats

    def graph_of() -> Any:
        return build(parse(fresh()))

    def evaluated() -> Any:
        return evaluate(graph_of())

    ev = evaluated()
    pieces = {
        "tokenize": lambda: tokenize(fresh()),
        "tokenize+parse": lambda: parse(fresh()),
        "+build": graph_of,
        "+evaluate": evaluated,
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
    results["whole: graph_response + encode"] = best(lambda: encode(graph_response(fresh())), n)

    from app.api.serving import Serving
    from app.main import create_app

    app = create_app(Serving(rate_limit=(1e6, 1e6)))
    request = lambda: orjson.dumps({"source": fresh()})  # noqa: E731
    results["through the ASGI app (middleware, routing)"] = best(
        lambda: asgi_request(app, request()), max(50, n // 10))
    print(f"staged cs231n program, {len(ev.graph)} nodes, uncached; 10th-percentile of "
          f"{n} runs (ms):")
    for name, seconds in results.items():
        print(f"  {name:45} {seconds * 1e3:7.3f}")


if __name__ == "__main__":
    main()
