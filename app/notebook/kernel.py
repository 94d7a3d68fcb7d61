"""The API in the kernel: a widget's requests answered by the pipeline, with no server.

The page's modules call `fetch("/api/graph", …)`; in a notebook widget that `fetch` sends
the request to the kernel as a message (app/js/widget-host.js), and `answer` gives what
the server would have, for each path the page's API client calls but training's (ROUTES,
which tests/test_widget.py holds to static/js/api.js): the same request schemas
(app/api/schemas.py), the same pipeline (app/pipeline.py), the same error envelope. What
a widget has no use for (training, which needs the server's worker processes) answers
404 in the envelope.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from app.api.schemas import GraphRequest, NetworkRequest
from app.errors import LabError, envelope
from app.examples import EXAMPLES, catalogue, large_example
from app.networks import network
from app.ops import REGISTRY
from app.pipeline import Options, Sweep, graph_response


def _graph(body: Any) -> dict[str, Any]:
    request = GraphRequest.model_validate(body)
    plot = request.sweep
    options = Options(
        expand=request.expand, check=request.check, code=request.code,
        sweep=None if plot is None else Sweep(plot.input, plot.from_, plot.to, plot.points),
        lr=request.lr, params=request.params, full_trace=request.full_trace,
        groups=request.groups)
    return graph_response(request.source, request.values, request.seed, options=options)


def _network(body: Any) -> dict[str, Any]:
    request = NetworkRequest.model_validate(body)
    net = network(request.sizes, activation=request.activation, output=request.output,
                  loss=request.loss, x=request.X, targets=request.targets,
                  weights=request.weights, biases=request.biases, seed=request.seed,
                  shared_bias=request.shared_bias)
    result: dict[str, Any] = net.to_json()
    return result


def _lesson(body: Any) -> str:
    from app.api.lesson import LESSON_LIMITS, LessonRequest
    from app.lesson import lesson_html

    request = LessonRequest.model_validate(body)
    return lesson_html(request.source, request.values, request.lang, limits=LESSON_LIMITS)


def _optimizers(body: Any) -> dict[str, Any]:
    from app.engine.optimizers import OPTIMIZERS

    return {"optimizers": [o.catalogue() for o in OPTIMIZERS.values()]}


def _example(body: Any) -> dict[str, Any]:
    """GET /api/examples/{id}: one preset whole (a large one's program on demand)."""
    example_id = str((body or {}).get("id", ""))
    found = next((e for e in EXAMPLES if e["id"] == example_id), None)
    found = found or large_example(example_id)
    if found is None:
        raise LabError("not_found", f"no preset {example_id!r}", status=404)
    return found


ROUTES = {
    ("GET", "/api/ops"): lambda body: {"ops": [op.describe() for op in REGISTRY.values()]},
    ("GET", "/api/examples"): lambda body: catalogue(),
    ("GET", "/api/examples/"): _example,  # the id follows the slash
    ("GET", "/api/optimizers"): _optimizers,
    ("POST", "/api/graph"): _graph,
    ("POST", "/api/network"): _network,
}


def answer(message: dict[str, Any]) -> dict[str, Any]:
    """A request `{"id", "url", "method", "body"}` (body: the JSON text, or null) as the
    reply `{"id", "status", "body"}` (or `"text"` and `"type"` for an HTML answer)."""
    reply: dict[str, Any] = {"id": message.get("id")}
    method = str(message.get("method") or "GET").upper()
    url = str(message.get("url") or "").split("?", 1)[0]
    try:
        raw = message.get("body")
        body = json.loads(raw) if isinstance(raw, str) and raw else None
        if (method, url) == ("POST", "/api/lesson"):
            return {**reply, "status": 200, "text": _lesson(body), "type": "text/html"}
        if method == "GET" and url.startswith("/api/examples/"):
            body, url = {"id": url.rsplit("/", 1)[1]}, "/api/examples/"
        route = ROUTES.get((method, url))
        if route is None:
            return {**reply, "status": 404, "body": envelope(
                "not_found", f"{method} {url} is not answered in a notebook (training needs "
                "the server: backprop-lab serve)")}
        return {**reply, "status": 200, "body": route(body)}
    except LabError as err:
        return {**reply, "status": err.status, "body": err.envelope()}
    except (ValidationError, json.JSONDecodeError) as err:
        return {**reply, "status": 422, "body": envelope(
            "request", f"the request body does not fit the schema: {err}")}
