"""HTTP routes: thin wrappers around the shared pipeline in app.api.service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.errors import StrictJSONResponse
from app.api.schemas import (
    ErrorResponse,
    GraphRequest,
    GraphResponse,
    NetworkRequest,
    NetworkResponse,
)
from app.api.service import Options, Sweep, graph_response
from app.examples import EXAMPLES
from app.networks import network
from app.ops import REGISTRY

router = APIRouter()

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "the program or its values have a problem "
          "(syntax, unknown name or function, missing value, shape mismatch, too large)"},
    413: {"model": ErrorResponse, "description": "the request body is over the size cap"},
    422: {"model": ErrorResponse, "description": "the body does not fit the schema"},
}


@router.post("/api/graph", response_class=StrictJSONResponse,
             responses={200: {"model": GraphResponse}, **ERRORS},
             summary="Evaluate a program: every node's value and gradient, and the step trace")
def post_graph(request: GraphRequest) -> StrictJSONResponse:
    plot = request.sweep
    options = Options(
        expand=request.expand, check=request.check, code=request.code,
        sweep=None if plot is None else Sweep(plot.input, plot.from_, plot.to, plot.points),
        lr=request.lr, params=request.params)
    body = graph_response(request.source, request.values, request.seed, options=options)
    return StrictJSONResponse(body)


@router.post("/api/network", response_class=StrictJSONResponse,
             responses={200: {"model": NetworkResponse}, **ERRORS,
                        400: {"model": ErrorResponse, "description": "the spec does not "
                              "describe a network: a shape that does not fit `sizes` "
                              "(type shape) or a label out of range (type value); "
                              "`args.where` names the field"}},
             summary="Write a small fully-connected network as a program, layer by layer "
                     "and neuron by neuron")
def post_network(request: NetworkRequest) -> StrictJSONResponse:
    """Both forms of the network and the map between their scalars (app/networks.py)."""
    net = network(request.sizes, activation=request.activation, output=request.output,
                  loss=request.loss, x=request.X, targets=request.targets,
                  weights=request.weights, biases=request.biases, seed=request.seed,
                  shared_bias=request.shared_bias)
    return StrictJSONResponse(net.to_json())


@router.get("/api/ops", response_class=StrictJSONResponse, summary="The op catalogue")
def get_ops() -> StrictJSONResponse:
    return StrictJSONResponse({"ops": [op.describe() for op in REGISTRY.values()]})


@router.get("/api/examples", response_class=StrictJSONResponse,
            summary="The seeds' worked examples as presets")
def get_examples() -> StrictJSONResponse:
    return StrictJSONResponse({"examples": EXAMPLES})


@router.get("/healthz", response_class=StrictJSONResponse, summary="Liveness check")
def healthz() -> StrictJSONResponse:
    return StrictJSONResponse({"status": "ok"})
